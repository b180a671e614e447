"""Importing the package and building the app touch nothing: no connection, no app at import."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import socket
opened = []
real_connect = socket.socket.connect
def spy(self, address):
    opened.append(address)
    return real_connect(self, address)
socket.socket.connect = spy

import app, app.extensions, app.models, app.tasks.worker, app.tasks.jobs, app.web
import flask
modules = (app, app.extensions)
assert not any(isinstance(v, flask.Flask) for m in modules for v in vars(m).values()), "app at import"
from app import create_app
application = create_app()
assert opened == [], opened
print("no-io")
"""


def test_import_and_create_app_open_no_connection():
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
           "REDIS_URL": "redis://127.0.0.1:9/0", "HOME": "/tmp"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("no-io")
