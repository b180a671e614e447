"""The app's Flask class (app/web/flask_app.py) behaves as Flask does, with two costs removed."""

from __future__ import annotations

import inspect

from flask import session

from app.web.flask_app import WaveframeFlask


def _app() -> WaveframeFlask:
    app = WaveframeFlask(__name__)
    app.secret_key = "a-test-secret-" + "x" * 40

    @app.post("/remember")
    def remember():
        session["colour"] = "teal"
        return "", 204

    @app.get("/recall")
    def recall():
        return {"colour": session.get("colour"), "new": session.new}
    return app


def test_without_a_cookie_the_session_is_empty_and_writable():
    client = _app().test_client()
    assert client.get("/recall").get_json() == {"colour": None, "new": False}
    assert client.post("/remember").status_code == 204
    assert client.get("/recall").get_json()["colour"] == "teal"


def test_a_signed_cookie_is_still_read_and_a_forged_one_is_not():
    app = _app()
    client = app.test_client()
    client.post("/remember")
    assert client.get("/recall").get_json()["colour"] == "teal"
    forged = app.test_client()
    forged.set_cookie(app.config["SESSION_COOKIE_NAME"], "eyJjb2xvdXIiOiJyZWQifQ.forged.signature")
    assert forged.get("/recall").get_json()["colour"] is None


def test_each_hook_is_checked_for_a_coroutine_once(monkeypatch):
    app = _app()
    asked = []

    @app.before_request
    def hook():
        return None
    import flask.app
    original = inspect.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction",
                        lambda func: asked.append(func) or original(func))
    client = app.test_client()
    for _ in range(3):
        assert client.get("/recall").status_code == 200
    assert asked.count(hook) == 1


def test_bound_methods_are_checked_each_time_and_not_remembered():
    app = _app()

    class View:
        def handle(self):
            return "done"
    for _ in range(3):
        assert app.ensure_sync(View().handle)() == "done"
    assert app._sync == {}
