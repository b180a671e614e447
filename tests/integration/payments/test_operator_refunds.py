"""The operator's refund (``refund_payment_amount``): a given amount or all that is left, with a
reason, through the real Stripe SDK against the local fake Stripe."""

from __future__ import annotations

import pytest

from app.errors import ApiError
from app.extensions import db
from app.models import PaymentStatus, RenderStatus, User
from app.payments.refunds import refund_payment_amount
from tests.integration.payments.helpers import payments_of, reload
from tests.support.stripe_webhooks import deliver, make_event, refund_object

REFUNDS = "/v1/refunds"


@pytest.fixture
def operator(pay_ctx, user_factory) -> User:
    return user_factory(email="operator@example.com", is_admin=True)


def test_a_partial_refund_then_the_rest_reach_stripe_and_show_as_such(paid_job, fake_stripe,
                                                                       operator):
    job, session = paid_job
    [payment] = payments_of(job)

    first = refund_payment_amount(payment.id, amount=100, reason="late delivery",
                                  actor_id=operator.id)

    assert first.outcome == "partially_refunded" and first.amount == 100
    assert first.changes == {
        "refund_state": {"before": "paid", "after": "partially_refunded"},
        "refunded_amount": {"before": 0, "after": 100}}
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.params["amount"] == "100"
    assert request.params["payment_intent"] == session["payment_intent"]
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_state == "partially_refunded"
    assert payment.refundable_amount == 199
    [row] = payment.refunds
    assert (row.amount, row.reason, row.status, row.actor_id) == (
        100, "late delivery", "succeeded", operator.id)
    assert row.stripe_refund_id == first.stripe_refund_id
    assert reload(job).status == RenderStatus.QUEUED  # the render goes on

    rest = refund_payment_amount(payment.id, amount=None, reason="customer asked",
                                 actor_id=operator.id)

    assert rest.outcome == "refunded" and rest.amount == 199
    assert rest.changes["status"] == {"before": "paid", "after": "refunded"}
    assert rest.changes["refunded_amount"] == {"before": 100, "after": 299}
    second = fake_stripe.requests_to("POST", REFUNDS)[1]
    assert "amount" not in second.params  # Stripe refunds what is left
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == 299
    assert sorted(r.amount for r in payment.refunds) == [100, 199]
    assert reload(job).status == RenderStatus.CANCELED


def test_the_same_refund_sent_twice_is_refused_the_second_time(paid_job, fake_stripe, operator):
    job, _session = paid_job
    [payment] = payments_of(job)
    refund_payment_amount(payment.id, amount=50, reason="goodwill", actor_id=operator.id)

    with pytest.raises(ApiError) as twice:
        refund_payment_amount(payment.id, amount=50, reason="goodwill", actor_id=operator.id)

    assert twice.value.status == 409 and twice.value.code == "duplicate_refund"
    assert len(fake_stripe.requests_to("POST", REFUNDS)) == 1
    other = refund_payment_amount(payment.id, amount=60, reason="more", actor_id=operator.id)
    assert other.outcome == "partially_refunded"
    assert payments_of(job)[0].refunded_amount == 110


def test_more_than_is_left_is_refused_and_stripe_is_not_called(paid_job, fake_stripe, operator):
    job, _session = paid_job
    [payment] = payments_of(job)
    refund_payment_amount(payment.id, amount=250, reason="goodwill", actor_id=operator.id)

    with pytest.raises(ApiError) as refused:
        refund_payment_amount(payment.id, amount=50, reason="more", actor_id=operator.id)

    assert refused.value.status == 422 and refused.value.code == "refund_exceeds_remaining"
    assert refused.value.details["remaining"] == 49
    assert len(fake_stripe.requests_to("POST", REFUNDS)) == 1
    [payment] = payments_of(job)
    assert payment.refunded_amount == 250 and len(payment.refunds) == 1


@pytest.mark.parametrize("amount, reason, field", [
    (100, "   ", "reason"), (0, "why", "amount"), (-5, "why", "amount")])
def test_a_blank_reason_or_a_bad_amount_is_refused(paid_job, fake_stripe, operator, amount,
                                                   reason, field):
    job, _session = paid_job
    [payment] = payments_of(job)

    with pytest.raises(ApiError) as refused:
        refund_payment_amount(payment.id, amount=amount, reason=reason, actor_id=operator.id)

    assert refused.value.status == 422 and field in refused.value.details["fields"]
    assert fake_stripe.requests_to("POST", REFUNDS) == []


def test_a_stripe_failure_records_nothing(paid_job, fake_stripe, operator):
    job, _session = paid_job
    [payment] = payments_of(job)
    fake_stripe.fail_next("server_error", path_prefix=REFUNDS)

    with pytest.raises(ApiError) as failed:
        refund_payment_amount(payment.id, amount=100, reason="x", actor_id=operator.id)

    assert failed.value.status == 503
    [payment] = payments_of(job)
    assert payment.refunded_amount == 0 and payment.refunds == []


def test_a_pending_partial_refund_counts_when_the_webhook_confirms_it(
        pay_client, paid_job, fake_stripe, operator):
    job, session = paid_job
    [payment] = payments_of(job)
    fake_stripe.set_refund_status("pending")

    change = refund_payment_amount(payment.id, amount=120, reason="x", actor_id=operator.id)

    assert change.outcome == "pending" and change.changes == {}
    with pytest.raises(ApiError):  # the pending 120 is not refundable twice
        refund_payment_amount(payment.id, amount=200, reason="y", actor_id=operator.id)
    event = refund_object(session["payment_intent"], refund_id=change.stripe_refund_id,
                          status="succeeded")

    response = deliver(pay_client, make_event("refund.updated", event))

    assert response.json["outcome"] == "partially_refunded"
    db.session.expire_all()
    [payment] = payments_of(job)
    assert payment.refunded_amount == 120 and payment.status == PaymentStatus.PAID
    assert [r.status for r in payment.refunds] == ["succeeded"]


def test_a_partial_refund_made_in_stripes_dashboard_is_itemised_by_the_webhook(
        pay_client, paid_job):
    job, session = paid_job
    event = {**refund_object(session["payment_intent"], refund_id="re_dashboard_1",
                             status="succeeded"), "amount": 99}

    response = deliver(pay_client, make_event("refund.updated", event))

    assert response.json["outcome"] == "partially_refunded"
    [payment] = payments_of(job)
    assert payment.refund_state == "partially_refunded" and payment.refunded_amount == 99
    [row] = payment.refunds
    assert (row.amount, row.stripe_refund_id, row.actor_id, row.reason) == (
        99, "re_dashboard_1", None, "refund reported by Stripe")
    assert reload(job).status == RenderStatus.QUEUED
