"""Background work: the queues, the one job helper, the worker and the tasks themselves.

Tasks are thin: load a row, call a service or the render pipeline, record the outcome, and
raise on failure so RQ retries the job and records it in the failed registry.
"""
