"""Transactional email: queue a message (``queueing``), render it from its templates
(``rendering``), send it from a worker through the configured mailer (``sending``, ``tasks``).

Mail imports no other domain; accounts and delivery call ``queue_email``.
"""
