"""Authentication: register, login, refresh, logout, password reset (routes + schemas), and the
guards every blueprint uses (``app.auth.guards``)."""

from flask_smorest import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
               description="Accounts and tokens: register, log in, refresh, log out, reset a password.")
