"""Stripe's side: webhooks duplicated, ten at once and out of order; Stripe 500s and timeouts on
Checkout and on refunds. One fulfilment (one paid payment, one render attempt queued) per order."""

from __future__ import annotations

import threading

import pytest

from app.extensions import db, limiter
from app.models import PaymentStatus, RenderStatus
from tests.integration.payments.helpers import (
    awaiting_job,
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
)
from tests.support.job_runner import JobRunner
from tests.support.stripe_webhooks import deliver, make_event

WEBHOOK_TRIALS_PER_N = 10  # 100 randomised trials when CHAOS_N=10


def _deliver_together(app, events) -> list[int]:
    barrier = threading.Barrier(len(events))
    statuses: list = [None] * len(events)

    def run(index, event):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=30)
            statuses[index] = deliver(client, event).status_code
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def _fulfilments(job) -> tuple[str, str]:
    job = reload(job)
    paid = [p for p in payments_of(job) if p.status == PaymentStatus.PAID]
    mine = [j for j in queued_rq_job_ids() if str(job.id) in j]
    detail = f"status {job.status}, attempts {job.attempts}, paid {len(paid)}, rq {mine}"
    if len(paid) > 1 or job.attempts > 1 or len(mine) > 1:
        return "duplicated", detail
    if len(paid) == 1 and job.status == RenderStatus.QUEUED and job.attempts == 1 and len(mine) == 1:
        return "once", detail
    return "lost", detail


def test_webhooks_duplicated_concurrent_and_out_of_order(chaos, pay_ctx, pay_client, fake_stripe,
                                                         user_factory, render_job_factory,
                                                         auth_headers):
    """Each trial: ten deliveries drawn from the session's events (completed unpaid, completed
    paid, async payment succeeded; the same event id repeated), shuffled, sent partly one by
    one and partly all at once."""
    rng = chaos.rng
    for _ in range(chaos.trials * WEBHOOK_TRIALS_PER_N):
        limiter.reset()  # a hundred checkouts a minute from one address is not the fault here
        owner = user_factory()
        job = awaiting_job(render_job_factory, owner, audio_duration=2.0)
        session_id = checkout(pay_client, job, auth_headers(owner)).json["checkout_session_id"]
        unpaid = fake_stripe.complete_session(session_id, payment_status="unpaid")
        paid = dict(unpaid, payment_status="paid")
        kinds = [make_event("checkout.session.completed", unpaid),
                 make_event("checkout.session.completed", paid),
                 make_event("checkout.session.async_payment_succeeded", paid)]
        deliveries = [rng.choice(kinds[1:])] + [rng.choice(kinds) for _ in range(9)]
        rng.shuffle(deliveries)
        split = rng.randint(0, len(deliveries))
        statuses = [deliver(pay_client, e).status_code for e in deliveries[:split]]
        if deliveries[split:]:
            statuses += _deliver_together(pay_ctx, deliveries[split:])
        outcome, detail = _fulfilments(job)
        if set(statuses) != {200}:
            outcome, detail = "lost", f"webhook answers {statuses}; {detail}"
        chaos.record(outcome, detail)
    chaos.assert_all_once()


@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_stripe_checkout_500_and_timeouts(chaos, fault, pay_ctx, pay_client, fake_stripe,
                                          user_factory, render_job_factory, auth_headers):
    """Stripe fails the first 1-3 Checkout calls; the user sees a clean error and tries again;
    once it answers, one session, one payment, one fulfilment."""
    for _ in range(chaos.trials):
        limiter.reset()
        owner = user_factory()
        job = awaiting_job(render_job_factory, owner, audio_duration=2.0)
        failures = chaos.rng.randint(1, 3)
        fake_stripe.fail_next(fault, times=failures,
                              path_prefix="/v1/checkout/sessions")
        answers = []
        for _attempt in range(failures + 1):
            response = checkout(pay_client, job, auth_headers(owner))
            answers.append(response.status_code)
            if response.status_code == 200:
                break
            assert response.status_code in (502, 503, 504), response.json
            assert set(response.json) >= {"error"}
        if answers[-1] != 200:
            chaos.record("lost", f"checkout answers {answers}")
            continue
        session = fake_stripe.complete_session(response.json["checkout_session_id"])
        deliver(pay_client, make_event("checkout.session.completed", session))
        outcome, detail = _fulfilments(job)
        sessions = [s for s in fake_stripe.state.sessions.values()
                    if s.get("client_reference_id") == str(job.id)]
        if len(sessions) > 1:
            outcome, detail = "duplicated", f"{len(sessions)} Checkout Sessions; {detail}"
        chaos.record(outcome, f"answers {answers}; {detail}")
    chaos.assert_all_once()


@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_stripe_refund_500_and_timeouts(chaos, fault, pay_ctx, pay_client, fake_stripe, user_factory,
                                        render_job_factory, auth_headers):
    """A payment for a canceled job is refunded by the worker's task; Stripe fails its first
    1-2 refund calls; RQ retries; exactly one refund at Stripe, the payment ``refunded``."""
    runner = JobRunner(pay_ctx)
    for _ in range(chaos.trials):
        limiter.reset()
        job = awaiting_job(render_job_factory, user_factory(), price_amount=499)
        headers = auth_headers(job.user)
        session_id = checkout(pay_client, job, headers).json["checkout_session_id"]
        session = fake_stripe.complete_session(session_id)
        assert pay_client.post(f"/api/v1/renders/{job.id}/cancel", headers=headers).status_code == 200
        assert deliver(pay_client, make_event("checkout.session.completed", session)
                       ).json["outcome"] == "paid_refund_scheduled"
        failures = chaos.rng.randint(1, 2)
        fake_stripe.fail_next(fault, times=failures, path_prefix="/v1/refunds")
        runner.run()
        for _retry in range(failures):  # what the scheduler does when each retry is due
            runner.release_scheduled()
            runner.run()
        [payment] = payments_of(job)
        refunds = [r for r in fake_stripe.state.refunds.values()
                   if r.get("payment_intent") == session["payment_intent"]]
        detail = f"payment {payment.status}, refunds at Stripe {len(refunds)}"
        if len(refunds) > 1:
            chaos.record("duplicated", detail)
        elif payment.status == PaymentStatus.REFUNDED and len(refunds) == 1:
            chaos.record("once", detail)
        else:
            chaos.record("lost", detail)
    chaos.assert_all_once()
