"""The console's login and logout pages (blueprint ``admin_session``), and its own assets.

The login form checks the password through the accounts service (``authenticate``), accepts only
an account with an admin role, and is rate limited per client IP and per email address, as the
API's login is. Every outcome is audited.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from app.accounts.limits import LOGIN_PER_EMAIL, LOGIN_PER_IP, client_ip
from app.accounts.service import authenticate, find_user_by_email
from app.admin import audit
from app.admin import session as admin_session
from app.admin.forms import LoginForm, LogoutForm, csrf_failed
from app.errors import ApiError
from app.extensions import limiter

bp = Blueprint("admin_session", __name__, template_folder="templates", static_folder="static",
               static_url_path="/admin/console-static")

NOT_ALLOWED = "The email or password is incorrect, or this account may not use the console."


def email_in_form() -> str:
    """The email of the login form, lower-cased (an absent value shares one bucket)."""
    return "admin-email:" + (request.form.get("email") or "").strip().lower()[:320]


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site (open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.index")


@bp.route("/admin/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_EMAIL, key_func=email_in_form, methods=["POST"])
@limiter.limit(LOGIN_PER_IP, key_func=client_ip, methods=["POST"])
def login():
    form = LoginForm(request.form if request.method == "POST" else None)
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if admin_session.session_user() is not None:
            return redirect(next_url)
        return render_template("admin/login.html", form=form, next_url=next_url)
    if not form.validate():
        status = 400 if csrf_failed(form) else 422
        error = ("The form expired; please try again." if csrf_failed(form)
                 else "Enter your email and password.")
        return render_template("admin/login.html", form=form, next_url=next_url, error=error), status
    email = form.email.data.strip().lower()
    try:
        user = authenticate(email, form.password.data)
    except ApiError as exc:
        known = find_user_by_email(email)
        audit.record("login_failed", "user", known.id if known else None, reason=exc.code,
                     actor_email=email)
        return render_template("admin/login.html", form=form, next_url=next_url, error=NOT_ALLOWED), 401
    if not user.is_admin:
        audit.record("login_failed", "user", user.id, reason="no_admin_role", actor_email=email)
        return render_template("admin/login.html", form=form, next_url=next_url, error=NOT_ALLOWED), 401
    admin_session.start(user)
    audit.record("login", "user", user.id, actor=user)
    return redirect(next_url)


@bp.errorhandler(429)
def too_many_attempts(exc):
    response = exc.get_response()
    html = render_template("admin/login.html", form=LoginForm(), next_url=url_for("admin.index"),
                           error="Too many login attempts; wait a minute and try again.")
    headers = {"Retry-After": response.headers["Retry-After"]} if "Retry-After" in response.headers else {}
    return html, 429, headers


@bp.route("/admin/logout", methods=["POST"])
def logout():
    user = admin_session.session_user()
    if user is None:  # nobody to log out
        admin_session.end()
        return redirect(url_for("admin_session.login"))
    if not LogoutForm(request.form).validate():
        return render_template("admin/forbidden.html", message="The logout form expired; go back and "
                               "try again.", user=user), 400
    audit.record("logout", "user", user.id, actor=user)
    admin_session.end()
    return redirect(url_for("admin_session.login"))
