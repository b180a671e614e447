"""Every API route with an id in its path, called with another user's token: 404 -- the same
answer as for an id that does not exist, so a stranger learns nothing (never 403 nor 200)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.models import Payment, RenderStatus, utcnow
from tests.integration.security.conftest import api_routes, call


def test_every_id_route_answers_404_to_a_stranger(
    sweep_app, sweep_client, user_factory, render_job_factory, payment_factory, auth_headers
):
    owner, stranger = user_factory(), user_factory()
    id_routes = [r for r in api_routes(sweep_app) if r.id_arguments]
    assert {r.rule.rsplit(">", 1)[-1] for r in id_routes} >= {
        "",
        "/download",
        "/checkout",
        "/cancel",
        "/retry",
    }
    # one job of the owner per state a route may care about: each route is tried on all of them
    jobs = [
        render_job_factory(owner, status=RenderStatus.QUEUED),
        render_job_factory(
            owner,
            status=RenderStatus.FAILED,
            attempts=1,
            failed_at=utcnow(),
            error_code="render_failed",
            error_message="x",
        ),
        render_job_factory(
            owner,
            status=RenderStatus.COMPLETED,
            completed_at=utcnow(),
            output_key=f"outputs/{owner.id}/x.mp4",
            output_size=10,
        ),
        render_job_factory(owner, status=RenderStatus.AWAITING_PAYMENT),
    ]
    payment_factory(jobs[3])
    statuses = [(job.status, job.cancel_requested, job.attempts) for job in jobs]
    wrong = []
    for route in id_routes:
        for job in jobs:
            values = {name: job.id for name in route.id_arguments}
            for who, expected in ((stranger, 404), (None, 401)):
                headers = auth_headers(who, fresh=True) if who else {}
                response = call(sweep_client, route, headers, **values)
                if response.status_code != expected:
                    wrong.append(
                        f"{route} as {'stranger' if who else 'nobody'}: "
                        f"{response.status_code} {response.get_data()[:120]!r}"
                    )
        unknown = call(
            sweep_client,
            route,
            auth_headers(stranger, fresh=True),
            **{name: uuid.uuid4() for name in route.id_arguments},
        )
        if unknown.status_code != 404:
            wrong.append(f"{route}: {unknown.status_code} for an id that does not exist")
    assert not wrong, "\n".join(wrong)
    # nothing of the owner's changed through the stranger's calls
    for job, status in zip(jobs, statuses, strict=True):
        db.session.refresh(job)
        assert (job.status, job.cancel_requested, job.attempts) == status
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    # and the ids were real: the owner is answered something else than 404 on every route
    for route in id_routes:
        owner_statuses = {
            call(
                sweep_client,
                route,
                auth_headers(owner, fresh=True),
                **{name: job.id for name in route.id_arguments},
            ).status_code
            for job in jobs
        }
        assert owner_statuses - {404}, f"{route}: the owner got only {owner_statuses}"
