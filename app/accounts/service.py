"""Accounts: registration, login, token refresh and logout, profile changes, admin bootstrap.

Emails are validated and normalised with email-validator (no DNS lookups) and stored
lower-cased, so they compare case-insensitively. Login answers the same error, after the same
amount of hashing work, for an unknown email and for a wrong password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from app.accounts.tokens import (
    TokenPair,
    access_token_from_refresh,
    issue_token_pair,
    revoke_all_before_now,
    revoke_claims,
)
from app.errors import Conflict, Forbidden, InvalidField, NotFound, ServiceUnavailable, Unauthorized
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import AdminRole, User, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthSession:
    """What register and login answer: the user and the tokens of the new login."""

    user: User
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class AccountUpdate:
    user: User
    tokens: TokenPair | None  # a new login when the password changed (older tokens are revoked)


# -- rules ---------------------------------------------------------------------------------

def normalize_email(raw: str, *, field: str = "email") -> str:
    """Syntax-checked, normalised, lower-cased; raises InvalidField naming ``field``."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidField("The email address is not valid.", fields={field: [str(exc)]}) from None
    return result.normalized.lower()


def check_password_policy(password: str, *, email: str, field: str = "password") -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise InvalidField("The password does not meet the policy.", fields={field: problems})


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists.", code="email_taken",
                    details={"fields": {"email": ["Already registered."]}})


def _commit_unless_email_taken() -> None:
    """Commit; a concurrent registration of the same email loses with 409 (the unique index)."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _email_taken() from None


def _session(user: User) -> AuthSession:
    tokens = issue_token_pair(user)
    return AuthSession(user=user, access_token=tokens.access_token, refresh_token=tokens.refresh_token)


# -- use cases -----------------------------------------------------------------------------

def register(email: str, password: str) -> AuthSession:
    email = normalize_email(email)
    check_password_policy(password, email=email)
    password_hash = hash_password(password)  # before the lookup: same time taken or not
    if find_user_by_email(email) is not None:
        raise _email_taken()
    user = User(email=email, password_hash=password_hash, last_login_at=utcnow())
    db.session.add(user)
    _commit_unless_email_taken()
    log.info("user_registered", extra={"user_id": str(user.id)})
    return _session(user)


INVALID_CREDENTIALS = "The email or password is incorrect."


def authenticate(email: str, password: str) -> User:
    """The active account these credentials open (raises 401/403 as ``login`` answers them).

    Records the login (``last_login_at``, a rehash with the current parameters); issues nothing:
    ``login`` adds the API tokens, the admin console its own session.
    """
    try:
        user = find_user_by_email(normalize_email(email))
    except InvalidField:
        user = None
    if user is None:
        burn_verification(password)
        log.info("login_failed", extra={"reason": "unknown_email"})
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if not verify_password(user.password_hash, password):
        log.info("login_failed", extra={"reason": "wrong_password", "user_id": str(user.id)})
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if not user.is_active:
        log.info("login_failed", extra={"reason": "disabled", "user_id": str(user.id)})
        raise Forbidden("This account has been disabled.", code="account_disabled")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        log.info("password_rehashed", extra={"user_id": str(user.id)})
    user.last_login_at = utcnow()
    db.session.commit()
    log.info("login_succeeded", extra={"user_id": str(user.id)})
    return user


def login(email: str, password: str) -> AuthSession:
    return _session(authenticate(email, password))


def refresh_access_token(user: User, refresh_claims: dict) -> str:
    return access_token_from_refresh(user, refresh_claims)


def logout(claims: dict) -> None:
    revoke_claims(claims)


def _notify(user: User, template: str, *, to: str | None = None, context: dict | None = None) -> None:
    """Best-effort security notice: a queue outage must not undo or fail the change itself."""
    try:
        queue_email(to=to or user.email, template=template, context=context or {}, kind=template,
                    user_id=user.id)
    except ServiceUnavailable:
        log.warning("security_notice_not_queued", extra={"user_id": str(user.id), "kind": template})


def update_account(user: User, *, current_password: str, email: str | None = None,
                   password: str | None = None) -> AccountUpdate:
    """Change the email and/or the password; both need the current password."""
    if email is None and password is None:
        raise InvalidField("Give a new email or a new password.",
                           fields={"email": ["Give a new email or a new password."]})
    if not verify_password(user.password_hash, current_password):
        log.info("account_update_refused", extra={"user_id": str(user.id), "reason": "wrong_password"})
        raise InvalidField("The current password is incorrect.", code="current_password_incorrect",
                           fields={"current_password": ["The current password is incorrect."]})
    old_email = user.email
    new_email = normalize_email(email) if email is not None else old_email
    if new_email != old_email and find_user_by_email(new_email) is not None:
        raise _email_taken()
    if password is not None:
        check_password_policy(password, email=new_email)
        user.password_hash = hash_password(password)
        revoke_all_before_now(user)
    user.email = new_email
    _commit_unless_email_taken()
    log.info("account_updated", extra={"user_id": str(user.id), "email_changed": new_email != old_email,
                                       "password_changed": password is not None})
    if new_email != old_email:
        _notify(user, "email_changed", to=old_email, context={"new_email": new_email})
    if password is not None:
        _notify(user, "password_changed")
        return AccountUpdate(user=user, tokens=issue_token_pair(user))
    return AccountUpdate(user=user, tokens=None)


# -- administration (CLI and the admin console) ---------------------------------------------

ROLE_NONE = "none"  # what ``set_admin_role`` takes to make an administrator a customer again


def parse_admin_role(role: str | None) -> AdminRole | None:
    """``viewer`` / ``operator`` -> the role, ``none`` (or None) -> no role; anything else 422."""
    if role is None or role == ROLE_NONE:
        return None
    try:
        return AdminRole(role)
    except ValueError:
        choices = [r.value for r in AdminRole] + [ROLE_NONE]
        raise InvalidField(f"Unknown role {role!r}; use one of {', '.join(choices)}.",
                           fields={"role": [f"Must be one of {', '.join(choices)}."]}) from None


def _user_by_email(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"No account with the email {email.strip().lower()}.", code="user_not_found")
    return user


def create_admin(email: str, password: str,
                 role: AdminRole | str = AdminRole.OPERATOR) -> tuple[User, bool]:
    """Create an administrator, or promote (and re-password) an existing account.

    Returns the user and whether it was created.
    """
    admin_role = parse_admin_role(str(role))
    if admin_role is None:
        raise InvalidField("An administrator needs a role: viewer or operator.",
                           fields={"role": ["Must be viewer or operator."]})
    email = normalize_email(email)
    check_password_policy(password, email=email)
    user = find_user_by_email(email)
    created = user is None
    if created:
        user = User(email=email, password_hash=hash_password(password))
        db.session.add(user)
    else:
        user.password_hash = hash_password(password)
        revoke_all_before_now(user)
    user.admin_role = admin_role.value
    user.is_active = True
    db.session.commit()
    log.info("admin_created" if created else "admin_promoted",
             extra={"user_id": str(user.id), "role": admin_role.value})
    return user, created


def set_admin_role(user: User, role: AdminRole | str | None) -> User:
    """Give ``viewer`` or ``operator``, or take the role away (``none``/None)."""
    admin_role = parse_admin_role(None if role is None else str(role))
    user.admin_role = admin_role.value if admin_role else None
    db.session.commit()
    log.info("admin_role_set", extra={"user_id": str(user.id),
                                      "role": admin_role.value if admin_role else ROLE_NONE})
    return user


def set_admin_role_by_email(email: str, role: str) -> User:
    return set_admin_role(_user_by_email(email), role)


def set_active(user: User, active: bool) -> User:
    """Disable (every token stops working at once) or re-enable an account."""
    user.is_active = active
    if not active:
        revoke_all_before_now(user)
    db.session.commit()
    log.info("user_enabled" if active else "user_disabled", extra={"user_id": str(user.id)})
    return user


def set_user_active(email: str, active: bool) -> User:
    return set_active(_user_by_email(email), active)


def log_out_everywhere(user: User) -> User:
    """Every token (and admin console session) issued so far stops working; the password stays."""
    revoke_all_before_now(user)
    db.session.commit()
    log.info("user_logged_out_everywhere", extra={"user_id": str(user.id)})
    return user
