"""The data model. Models hold columns and invariants; the rules live in the domain packages
(``app/accounts``, ``app/renders``, ``app/payments``, ``app/delivery``, ``app/mail``)."""

from app.models.base import utcnow
from app.models.email_delivery import EmailDelivery
from app.models.payment import Payment, PaymentStatus, StripeEvent
from app.models.render_chunk import ChunkStatus, RenderChunk
from app.models.render_job import (
    TERMINAL_STATUSES,
    InvalidTransition,
    RenderJob,
    RenderStatus,
)
from app.models.render_output import RenderOutput
from app.models.user import PasswordResetToken, User

__all__ = [
    "TERMINAL_STATUSES", "ChunkStatus", "EmailDelivery", "InvalidTransition", "PasswordResetToken", "Payment",
    "PaymentStatus", "RenderChunk", "RenderJob", "RenderOutput", "RenderStatus", "StripeEvent", "User",
    "utcnow",
]
