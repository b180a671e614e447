"""The data model. Models hold columns and invariants; the rules live in the domain packages
(``app/accounts``, ``app/renders``, ``app/payments``, ``app/delivery``, ``app/mail``)."""

from app.models.audit_event import AuditEvent
from app.models.base import utcnow
from app.models.email_delivery import EmailDelivery
from app.models.payment import (
    PARTIALLY_REFUNDED,
    Payment,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
    StripeEvent,
)
from app.models.render_chunk import ChunkStatus, RenderChunk
from app.models.render_job import (
    TERMINAL_STATUSES,
    InvalidTransition,
    RenderJob,
    RenderStatus,
)
from app.models.render_output import RenderOutput
from app.models.user import AdminRole, PasswordResetToken, User

__all__ = [
    "PARTIALLY_REFUNDED", "TERMINAL_STATUSES", "AdminRole", "AuditEvent", "ChunkStatus",
    "EmailDelivery", "InvalidTransition", "PasswordResetToken", "Payment", "PaymentRefund",
    "PaymentStatus", "RefundStatus", "RenderChunk", "RenderJob", "RenderOutput", "RenderStatus",
    "StripeEvent", "User", "utcnow",
]
