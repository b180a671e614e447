"""Logging in to the console as a person does: the login page, its CSRF token, the form."""

from __future__ import annotations

import re

from app.accounts.service import create_admin, register

PASSWORD = "violet-harbour-lantern-42"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def make_admin(email: str, role: str = "operator"):
    user, _ = create_admin(email, PASSWORD, role)
    return user


def make_customer(email: str):
    return register(email, PASSWORD).user


def log_in(client, email: str, password: str = PASSWORD, **extra):
    page = client.get("/admin/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf_token": token, **extra})


def page_token(client, path: str) -> str:
    """The CSRF token of a console page's forms (actions, logout)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_token(response.get_data(as_text=True))
