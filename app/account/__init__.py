"""The signed-in user's own account: profile, email and password changes, history."""

from flask_smorest import Blueprint

bp = Blueprint("account", __name__, url_prefix="/api/v1/account",
               description="Your profile, email and password changes, and your render history.")
