"""Account administration from the command line.

    flask create-admin EMAIL [--role viewer|operator]   # prompts for the password (twice)
    WAVEFRAME_ADMIN_PASSWORD=... flask create-admin EMAIL   # for scripts
    flask users set-role EMAIL viewer|operator|none     # none: a customer again
    flask users disable EMAIL          # every token of the account stops working at once
    flask users enable EMAIL
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup, with_appcontext

from app.accounts.service import ROLE_NONE, create_admin, set_admin_role_by_email, set_user_active
from app.errors import ApiError
from app.models import AdminRole

PASSWORD_ENV = "WAVEFRAME_ADMIN_PASSWORD"  # noqa: S105 - the variable name, not a password


def _fail(exc: ApiError) -> None:
    fields = exc.details.get("fields") or {}
    reasons = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in fields.items())
    raise click.ClickException(f"{exc.message} {reasons}".strip())


ROLES = [role.value for role in AdminRole]


@click.command("create-admin")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default=AdminRole.OPERATOR.value, show_default=True,
              help="viewer: sees the console, changes nothing; operator: may also act.")
@with_appcontext
def create_admin_command(email: str, role: str) -> None:
    """Create an administrator (or promote an existing account) with a new password."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = create_admin(email, password, role)
    except ApiError as exc:
        _fail(exc)
        return
    click.echo(f"{'Created' if created else 'Promoted'} administrator {user.email} "
               f"({user.id}), role {user.admin_role}.")


users_cli = AppGroup("users", help="Manage user accounts.")


def _set_active(email: str, active: bool) -> None:
    try:
        user = set_user_active(email, active)
    except ApiError as exc:
        _fail(exc)
        return
    click.echo(f"{'Enabled' if active else 'Disabled'} {user.email} ({user.id}).")


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable an account: it cannot log in and its tokens are refused immediately."""
    _set_active(email, False)


@users_cli.command("enable")
@click.argument("email")
def enable_user_command(email: str) -> None:
    """Re-enable a disabled account (it logs in again with its password)."""
    _set_active(email, True)


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([*ROLES, ROLE_NONE]))
def set_role_command(email: str, role: str) -> None:
    """Give an account the viewer or operator role in the admin console, or none."""
    try:
        user = set_admin_role_by_email(email, role)
    except ApiError as exc:
        _fail(exc)
        return
    click.echo(f"{user.email} ({user.id}) now has the role {user.admin_role or ROLE_NONE}.")


COMMANDS = (create_admin_command, users_cli)
