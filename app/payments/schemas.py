"""Request and response shapes of the payments endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields


class CheckoutSchema(Schema):
    checkout_url = fields.String(required=True, metadata={
        "description": "Stripe Checkout page to send the user to."})
    checkout_session_id = fields.String(required=True)
    expires_at = fields.DateTime(allow_none=True, attribute="checkout_expires_at")
    payment_id = fields.UUID(required=True, attribute="id")
    render_job_id = fields.UUID(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Smallest currency unit."})
    currency = fields.String(required=True)
    status = fields.String(required=True)
    created = fields.Boolean(required=True, metadata={
        "description": "False when an open session was handed out again."})


class WebhookAckSchema(Schema):
    received = fields.Boolean(required=True)
    event_id = fields.String(required=True)
    outcome = fields.String(required=True)
