"""Settling and refunding payments on in-memory twins (fake billing, recording queue): a paid
job is queued once, a payment that buys nothing is refunded by its task, and a refund cancels a
job not rendered yet -- never twice."""

from __future__ import annotations

import pytest

from app.errors import Conflict
from app.extensions import db
from app.models import Payment, PaymentStatus, RenderStatus, utcnow
from app.payments.fulfilment import settle_paid
from app.payments.refunds import refund_payment, refund_render
from app.payments.rows import lock_payment_where
from app.payments.tasks import refund_payment_task
from app.renders.tasks import render_job_task
from tests.support import factories


def _locked(payment: Payment):
    return lock_payment_where(Payment.id == payment.id)


def test_a_paid_payment_queues_its_job_once_however_often_it_is_reported(unit):
    _app, twins = unit
    payment = factories.make_payment()
    for expected in ("paid", "already_paid"):
        job, locked = _locked(payment)
        assert settle_paid(job, locked, utcnow(), [], "pi_1") == expected
    db.session.refresh(job)
    assert job.status == RenderStatus.QUEUED and job.paid_at is not None
    assert (payment.status, payment.payment_intent_id) == (PaymentStatus.PAID, "pi_1")
    assert [j.id for j in twins.dispatcher.of_task(render_job_task)] == [f"render-{job.id}-1"]


def test_a_payment_for_a_canceled_job_is_refunded_by_its_task(unit):
    _app, twins = unit
    job = factories.make_render_job(status=RenderStatus.CANCELED)
    payment = factories.make_payment(job)
    after_commit = []
    job, locked = _locked(payment)
    assert settle_paid(job, locked, utcnow(), after_commit, "pi_2") == "paid_refund_scheduled"
    assert twins.dispatcher.jobs == {}  # nothing before the transaction is over
    for action in after_commit:
        action()
    (refund_job,) = twins.dispatcher.of_task(refund_payment_task)
    assert refund_job.id == f"refund-{payment.id}"
    assert twins.dispatcher.run(refund_job.id) == "refunded"
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and payment.refund_id.startswith("re_fake_")
    assert db.session.get(type(job), job.id).status == RenderStatus.CANCELED
    assert twins.dispatcher.of_task(render_job_task) == []


def test_refunding_a_queued_render_cancels_it_and_takes_it_off_the_queue(unit):
    _app, twins = unit
    payment = factories.make_payment()
    job, locked = _locked(payment)
    settle_paid(job, locked, utcnow(), [], "pi_3")
    assert len(twins.dispatcher.jobs) == 1

    assert refund_render(job.id).outcome == "refunded"
    assert refund_render(job.id).outcome == "already_refunded"
    assert len(twins.billing.refunds) == 1  # one refund at Stripe, whatever is asked again
    job = db.session.get(type(job), job.id)
    assert job.status == RenderStatus.CANCELED and twins.dispatcher.jobs == {}


def test_a_pending_refund_waits_for_the_webhook_and_an_unpaid_payment_is_not_refundable(unit):
    _app, twins = unit
    twins.billing.refund_status = "pending"
    payment = factories.make_payment()
    job, locked = _locked(payment)
    settle_paid(job, locked, utcnow(), [], "pi_4")
    result = refund_payment(payment.id)
    assert result.outcome == "pending" and result.payment.status == PaymentStatus.PAID
    assert result.payment.refund_id is not None
    assert db.session.get(type(job), job.id).status == RenderStatus.QUEUED  # not yet refunded

    unpaid = factories.make_payment()
    with pytest.raises(Conflict) as refused:
        refund_payment(unpaid.id)
    assert refused.value.code == "payment_not_refundable"
