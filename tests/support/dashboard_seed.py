"""Rows with known dashboard numbers, relative to ``now`` (the page reads the current time), and
what the admin home must show for them. Used by the console's page test and its browser test."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.extensions import db
from app.models import PaymentRefund, PaymentStatus, RenderStatus
from tests.support import factories

H = timedelta(hours=1)
S = timedelta(seconds=1)
OLD = timedelta(days=10)  # created outside the 24 h status window

# What the dashboard shows for ``seed(now)`` (as the page writes it).
EXPECTED = {
    "status-queued": "1", "status-rendering": "1", "status-completed": "2", "status-failed": "1",
    "status-canceled": "0", "queue-wait-samples": "4", "queue-wait-p50": "25.0 s",
    "queue-wait-p95": "38.5 s", "renders-7d": "3", "failures-7d": "1",
}
SPEED = {"bars": ("2", "1.5", "1.95"), "waves": ("1", "3.0", "3.0")}  # renders, median, p95
MONEY = {"usd": ("1", "2.99", "1.00", "1.99"),  # payments, revenue, refunds, net
         "eur": ("1", "10.00", "0.00", "10.00")}


def _job(user, status, *, template="bars", created, queued=None, started=None, completed=None,
         failed=None, output=None):
    return factories.make_render_job(
        user, status=status, created_at=created, queued_at=queued, started_at=started,
        completed_at=completed, failed_at=failed, output_duration=output,
        config={**factories.DEFAULT_RENDER_CONFIG, "template": template})


def seed(now: datetime, user=None) -> None:
    user = user or factories.make_user()
    a = now - 20 * 60 * S
    _job(user, RenderStatus.COMPLETED, created=now - H, queued=a - 10 * S, started=a,
         completed=a + 30 * S, output=60.0)  # rtf 2.0, waited 10 s
    b = now - 3 * H
    _job(user, RenderStatus.COMPLETED, created=now - 4 * H, queued=b - 20 * S, started=b,
         completed=now - 2 * H, output=3600.0)  # rtf 1.0, waited 20 s
    d = now - H - 5 * 60 * S
    _job(user, RenderStatus.FAILED, created=now - 2 * H, queued=d - 30 * S, started=d,
         failed=now - H)  # waited 30 s
    _job(user, RenderStatus.QUEUED, created=now - 2 * 60 * S, queued=now - 60 * S)
    f = now - 5 * 60 * S
    _job(user, RenderStatus.RENDERING, created=now - 10 * 60 * S, queued=f - 40 * S,
         started=f)  # waited 40 s
    c = now - 25 * H - 10 * S
    _job(user, RenderStatus.COMPLETED, template="waves", created=now - 26 * H, queued=c - 5 * S,
         started=c, completed=now - 25 * H, output=30.0)  # rtf 3.0; outside the 24 h windows
    _job(user, RenderStatus.FAILED, created=now - 9 * 24 * H, queued=now - 9 * 24 * H,
         started=now - 9 * 24 * H, failed=now - 8 * 24 * H)  # outside every window

    def paid_job(amount, currency="usd"):
        return factories.make_render_job(user, status=RenderStatus.CANCELED, created_at=now - OLD,
                                         queued_at=None, price_amount=amount,
                                         price_currency=currency)

    p1 = factories.make_payment(paid_job(299), status=PaymentStatus.PAID, amount=299,
                                paid_at=now - 5 * 24 * H, refunded_amount=100)
    p2 = factories.make_payment(paid_job(500), status=PaymentStatus.PAID, amount=500,
                                paid_at=now - 40 * 24 * H)  # paid outside the 30 days
    factories.make_payment(paid_job(1000, "eur"), status=PaymentStatus.PAID, amount=1000,
                           currency="eur", paid_at=now - 2 * 24 * H)
    factories.make_payment(paid_job(199), status=PaymentStatus.PENDING)
    db.session.add_all([
        PaymentRefund(payment_id=p1.id, amount=100, reason="partial", status="succeeded",
                      created_at=now - 24 * H),
        PaymentRefund(payment_id=p2.id, amount=400, reason="too old", status="succeeded",
                      created_at=now - 31 * 24 * H),
    ])
    db.session.commit()
