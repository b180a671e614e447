"""The bare Flask baseline of ``make load``: one route answering a JSON body shaped like a render job.

    gunicorn --pythonpath bench hello_app:app ...   (the same settings as the Procfile's web)

``HELLO_BODY_FILE`` may name a JSON file holding the body (the load bench writes the render job
it polls there, so both answers serialise the same object); otherwise a built-in sample is used.
The body is serialised on every request, as the real endpoint does.
"""

from __future__ import annotations

import json
import os

from flask import Flask, jsonify

SAMPLE = {
    "id": "6b0c1a52-3f7e-4c1e-9a55-2f1c8d6b7e10", "status": "queued", "progress": 0,
    "eta_seconds": None, "attempts": 1, "priority": "high", "cancel_requested": False,
    "error": None, "config": {"template": "bars", "size": "720x720", "fps": 24, "title": "Load",
                              "artist": "", "trim_start": 0, "trim_end": None, "options": {}},
    "audio": {"filename": "tone.wav", "duration": 2.0, "format": "wav", "size": 88278},
    "price": None, "output": None, "created_at": "2026-12-05T00:00:00+00:00",
    "updated_at": "2026-12-05T00:00:00+00:00", "queued_at": "2026-12-05T00:00:00+00:00",
}

app = Flask(__name__)
app.json.sort_keys = False
_path = os.environ.get("HELLO_BODY_FILE")
BODY = json.loads(open(_path).read()) if _path else SAMPLE


@app.get("/api/v1/renders/<job_id>")
def render(job_id: str):
    return jsonify(BODY)
