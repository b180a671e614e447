"""Payments endpoints: start a Stripe Checkout for a render, receive Stripe's webhooks."""

from __future__ import annotations

import uuid

from flask import request
from flask_smorest import Blueprint

from app.extensions import limiter
from app.payments.checkout import start_checkout
from app.payments.schemas import CheckoutSchema, WebhookAckSchema
from app.payments.webhooks import handle_stripe_webhook
from app.web.auth import BEARER_AUTH, auth_required, current_user

bp = Blueprint("payments", __name__, url_prefix="/api/v1",
               description="Paying for renders through Stripe Checkout.")


@bp.post("/renders/<uuid:job_id>/checkout")
@auth_required()
@limiter.limit("30 per minute")
@bp.response(200, CheckoutSchema)
@bp.alt_response(404, description="No such render job (or not yours).")
@bp.alt_response(409, description="Payments are off, or the job is not awaiting payment.")
@bp.alt_response(429, description="More than 30 checkouts a minute from this address.")
@bp.alt_response(502, description="Stripe refused the request; nothing was written.")
@bp.alt_response(503, description="Stripe is unavailable or rate limiting; try again.")
@bp.doc(security=BEARER_AUTH)
def create_checkout(job_id: uuid.UUID):
    """Get the Stripe Checkout page that pays for this render.

    Calling it again while the session is open returns the same session.
    """
    result = start_checkout(current_user(), job_id)
    payment = result.payment
    return {
        "checkout_url": payment.checkout_url,
        "checkout_session_id": payment.checkout_session_id,
        "checkout_expires_at": payment.checkout_expires_at,
        "id": payment.id,
        "render_job_id": payment.render_job_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": str(payment.status),
        "created": result.created,
    }


@bp.post("/payments/webhook")
@limiter.exempt
@bp.response(200, WebhookAckSchema)
@bp.alt_response(400, description="Missing or invalid Stripe-Signature; nothing changed.")
@bp.alt_response(503, description="Our database failed; Stripe will deliver the event again.")
def stripe_webhook():
    """Stripe events (signature-verified with STRIPE_WEBHOOK_SECRET, each applied once)."""
    outcome = handle_stripe_webhook(request.get_data(cache=False),
                                    request.headers.get("Stripe-Signature"))
    return {"received": True, "event_id": outcome.event_id, "outcome": outcome.outcome}
