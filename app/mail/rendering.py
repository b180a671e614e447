"""Rendering an email from its templates.

Templates (``app/templates/email/``, see README there): ``<name>.subject.txt`` (one line),
``<name>.txt`` and ``<name>.html``, rendered with Jinja by the worker from the context plus
``app_name`` and ``frontend_url``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from jinja2 import TemplateNotFound

from app.adapters.email import EmailMessage

TEMPLATE_DIR = "email"


def _template_names(template: str) -> tuple[str, str, str]:
    base = f"{TEMPLATE_DIR}/{template}"
    return f"{base}.subject.txt", f"{base}.txt", f"{base}.html"


def check_template(template: str) -> None:
    """Raise ValueError unless the three files of ``template`` exist."""
    env = current_app.jinja_env
    for name in _template_names(template):
        try:
            env.get_template(name)
        except TemplateNotFound as exc:
            raise ValueError(f"email template file {name!r} does not exist") from exc


def render_email(template: str, context: dict[str, Any], *, to: str) -> EmailMessage:
    env = current_app.jinja_env
    full_context = {"app_name": "Waveframe", "frontend_url": current_app.config["FRONTEND_URL"],
                    **context}
    subject_name, text_name, html_name = _template_names(template)
    subject = " ".join(env.get_template(subject_name).render(full_context).split())
    return EmailMessage(sender=current_app.config["MAIL_FROM"], to=to, subject=subject,
                        text=env.get_template(text_name).render(full_context),
                        html=env.get_template(html_name).render(full_context))
