"""RQ infrastructure, for the tasks each domain declares in its own ``tasks.py``: the queues
(``queues``), the one job helper and the dispatcher every enqueue goes through (``jobs``), the
worker process (``worker``), the periodic schedule domains register with (``schedule``) and
the worker's commands (``cli``). It imports no domain.

Tasks are thin: load a row, call a service or the render engine, record the outcome, and raise
on failure so RQ retries the job and records it in the failed registry.
"""
