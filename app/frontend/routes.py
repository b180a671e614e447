"""The page shells. Each is static HTML plus one ES module; no user data is rendered here.

Whether someone is signed in is only known in the browser (the access token lives in memory),
so every shell is served to anyone and the page's module asks for a session when it needs one.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, render_template

from app.frontend.security import apply_headers
from app.renders.uploads import MAX_IMAGE_BYTES, MIN_AUDIO_SECONDS

bp = Blueprint("frontend", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
bp.after_request(apply_headers)


def client_config() -> dict:
    """Settings the page modules need, embedded as a JSON data block (never executed)."""
    config = current_app.config
    return {
        "payments_enabled": bool(config.get("PAYMENTS_ENABLED")),
        "max_upload_mb": int(config["MAX_UPLOAD_MB"]),
        "max_image_mb": MAX_IMAGE_BYTES // (1024 * 1024),
        "max_audio_seconds": int(config["MAX_AUDIO_SECONDS"]),
        "min_audio_seconds": MIN_AUDIO_SECONDS,
        "video_retention_days": int(config["VIDEO_RETENTION_DAYS"]),
    }


def page(template: str, *, title: str, module: str, **context):
    html = render_template(f"frontend/{template}", title=title, module=module,
                           client_config=client_config(), **context)
    return html, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/")
def home():
    return page("home.html", title="Turn a song into a video", module="home")


@bp.get("/signup")
def signup():
    return page("signup.html", title="Sign up", module="signup")


@bp.get("/login")
def login():
    return page("login.html", title="Log in", module="login")


@bp.get("/forgot-password")
def forgot_password():
    return page("forgot_password.html", title="Forgot your password", module="forgot_password")


@bp.get("/reset-password")
def reset_password():
    """The page the password-reset email links to (``?token=...``)."""
    return page("reset_password.html", title="Choose a new password", module="reset_password")


@bp.get("/create")
def create():
    return page("create.html", title="Create a video", module="create")


@bp.get("/renders/<uuid:job_id>")
def render_job(job_id: uuid.UUID):
    """A job's page; Stripe Checkout returns here with ``?checkout=success|canceled``."""
    return page("render_job.html", title="Your video", module="render_job")


@bp.get("/history")
def history():
    return page("history.html", title="History", module="history")


@bp.get("/account")
def account():
    return page("account.html", title="Account", module="account")
