"""The hello-world of ``make load`` plus one Redis ``MGET`` per request (``bench/redis_wait.py``).

It answers the same JSON as ``hello_app`` after one round trip to ``REDIS_URL`` on a connection
each thread keeps (as ``app.extensions.read_keys`` does): what one wait on Redis costs a request
under gunicorn's threads, apart from everything else the real poll does.
"""

from __future__ import annotations

import os
import threading

import redis
from flask import Flask, jsonify
from hello_app import BODY

app = Flask(__name__)
app.json.sort_keys = False
_pool = redis.Redis.from_url(os.environ["REDIS_URL"]).connection_pool
_local = threading.local()


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/api/v1/renders/<job_id>")
def render(job_id: str):
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = _pool.connection_class(**_pool.connection_kwargs)
    connection.send_command("MGET", "hello-redis:a", "hello-redis:b")
    connection.read_response()
    return jsonify(BODY)
