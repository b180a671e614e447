"""``flask payments refund JOB_ID``: refund what was paid for a render (admin)."""

from __future__ import annotations

import sys
import uuid

import click
from flask.cli import AppGroup

from app.errors import ApiError
from app.payments.refunds import refund_render

payments_cli = AppGroup("payments", help="Payments administration (Stripe).")


@payments_cli.command("refund")
@click.argument("job_id", type=click.UUID)
def refund_command(job_id: uuid.UUID) -> None:
    """Refund the payment of render job JOB_ID in full through Stripe.

    A job not rendered yet is canceled. Safe to repeat: Stripe never refunds twice.
    """
    try:
        result = refund_render(job_id)
    except ApiError as exc:
        click.echo(f"error: {exc.message} ({exc.code})", err=True)
        sys.exit(1)
    payment = result.payment
    amount = f"{payment.amount / 100:.2f} {payment.currency.upper()}"
    messages = {
        "refunded": f"refunded {amount} for render {job_id} (refund {payment.refund_id})",
        "pending": (f"refund of {amount} for render {job_id} requested (refund "
                    f"{payment.refund_id}); Stripe reports it pending, the webhook will confirm"),
        "already_refunded": f"render {job_id} was already refunded (refund {payment.refund_id})",
    }
    click.echo(messages[result.outcome])


COMMANDS = (payments_cli,)
