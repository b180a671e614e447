"""Actions in the console: through the services, audited, operators only, CSRF-checked."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, RenderJob, RenderStatus, User
from tests.integration.admin.console import PASSWORD, make_customer, page_token


def _fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def _audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.created_at)))


def act(client, view: str, action: str, *ids, token: str | None = "page"):
    data = {"action": action, "rowid": [str(i) for i in ids], "url": f"/admin/{view}/"}
    if token == "page":
        token = page_token(client, f"/admin/{view}/")
    if token:
        data["csrf_token"] = token
    return client.post(f"/admin/{view}/action/", data=data)


def test_users_list_never_shows_the_password_hash(operator_client, app_ctx):
    carl = make_customer("carl@example.com")
    for path in ("/admin/users/", f"/admin/users/details/?id={carl.id}", "/admin/users/?search=carl"):
        html = operator_client.get(path).get_data(as_text=True)
        assert "carl@example.com" in html
        assert carl.password_hash not in html and "argon2" not in html and "Password" not in html


def test_users_search_and_filters(operator_client, viewer, app_ctx):
    make_customer("carl@example.com")
    html = operator_client.get("/admin/users/?search=carl").get_data(as_text=True)
    assert "carl@example.com" in html
    assert html.count("olga.operator@example.com") == 1  # in the navbar only, not in the list
    # the filter menu offers active, role and created
    listing = operator_client.get("/admin/users/").get_data(as_text=True)
    for label in ("Active", "Role", "Created At"):
        assert label in listing


def test_operator_disables_then_enables_a_user_and_it_is_audited(operator_client, operator, app_ctx,
                                                                 client):
    carl = make_customer("carl@example.com")
    answer = act(operator_client, "users", "disable", carl.id)
    assert answer.status_code == 302
    assert _fresh(User, carl.id).is_active is False
    # the API refuses the account's login now
    refused = client.post("/api/v1/auth/login", json={"email": "carl@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    (event,) = _audit("user.disable")
    assert (event.actor_id, event.actor_email, event.actor_role) == (operator.id, operator.email, "operator")
    assert (event.target_type, event.target_id, event.ip) == ("user", str(carl.id), "127.0.0.1")
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert "Disabled: 1" in operator_client.get("/admin/users/").get_data(as_text=True)

    act(operator_client, "users", "enable", carl.id)
    assert _fresh(User, carl.id).is_active is True
    (enabled,) = _audit("user.enable")
    assert (enabled.before, enabled.after) == ({"is_active": False}, {"is_active": True})


def test_log_out_everywhere_revokes_the_tokens(operator_client, app_ctx, client):
    carl = make_customer("carl@example.com")
    login = client.post("/api/v1/auth/login", json={"email": "carl@example.com", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    assert client.get("/api/v1/account", headers=headers).status_code == 200
    act(operator_client, "users", "log_out_everywhere", carl.id)
    assert client.get("/api/v1/account", headers=headers).status_code == 401
    assert _fresh(User, carl.id).is_active is True
    assert len(_audit("user.log_out_everywhere")) == 1


def test_set_role_and_never_on_oneself(operator_client, operator, app_ctx):
    carl = make_customer("carl@example.com")
    act(operator_client, "users", "role_viewer", carl.id)
    assert _fresh(User, carl.id).admin_role == "viewer"
    act(operator_client, "users", "role_operator", carl.id)
    assert _fresh(User, carl.id).admin_role == "operator"
    act(operator_client, "users", "role_none", carl.id)
    assert _fresh(User, carl.id).admin_role is None
    events = _audit("user.set_role")
    assert [(e.before, e.after) for e in events] == [
        ({"admin_role": None}, {"admin_role": "viewer"}),
        ({"admin_role": "viewer"}, {"admin_role": "operator"}),
        ({"admin_role": "operator"}, {"admin_role": None})]

    act(operator_client, "users", "role_none", operator.id)
    act(operator_client, "users", "disable", operator.id)
    me = _fresh(User, operator.id)
    assert me.admin_role == "operator" and me.is_active
    assert "your own account" in operator_client.get("/admin/users/").get_data(as_text=True)


def test_a_viewer_is_refused_every_action_and_nothing_changes(viewer_client, app_ctx):
    carl = make_customer("carl@example.com")
    for action in ("disable", "log_out_everywhere", "role_operator"):
        answer = act(viewer_client, "users", action, carl.id)
        assert answer.status_code == 403
        assert "Your role is viewer" in answer.get_data(as_text=True)
    user = _fresh(User, carl.id)
    assert user.is_active and user.admin_role is None and user.tokens_valid_after is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("user.%"))) is None


def test_an_action_posted_without_its_csrf_token_is_refused(operator_client, app_ctx):
    carl = make_customer("carl@example.com")
    for token in (None, "forged-token"):
        answer = act(operator_client, "users", "disable", carl.id, token=token)
        assert answer.status_code == 400, answer.status_code
        assert "reload the page" in answer.get_data(as_text=True)
    assert _fresh(User, carl.id).is_active is True
    assert _audit("user.disable") == []


def test_render_retry_and_cancel_follow_the_api_rules(operator_client, app_ctx, render_job_factory,
                                                      redis_conn):
    failed = render_job_factory(status=RenderStatus.FAILED, attempts=5, error_code="render_failed",
                                error_message="ffmpeg exited with 1")
    done = render_job_factory(status=RenderStatus.COMPLETED)
    queued = render_job_factory(status=RenderStatus.QUEUED)

    listing = operator_client.get("/admin/renders/").get_data(as_text=True)
    assert "render_failed: ffmpeg exited with 1" in listing

    act(operator_client, "renders", "retry", failed.id, done.id)
    job = _fresh(RenderJob, failed.id)
    assert job.status == RenderStatus.QUEUED and job.attempts == 6 and job.priority == "high"
    assert _fresh(RenderJob, done.id).status == RenderStatus.COMPLETED
    page = operator_client.get("/admin/renders/").get_data(as_text=True)
    assert "Retried: 1" in page and "cannot be retried" in page
    (retry,) = _audit("render.retry")
    assert retry.target_id == str(failed.id)
    assert retry.before["status"] == "failed" and retry.after["status"] == "queued"

    act(operator_client, "renders", "cancel", queued.id, done.id)
    assert _fresh(RenderJob, queued.id).status == RenderStatus.CANCELED
    assert "cannot be canceled" in operator_client.get("/admin/renders/").get_data(as_text=True)
    assert [e.target_id for e in _audit("render.cancel")] == [str(queued.id)]


def test_render_filters_and_columns(app, operator_client, app_ctx, render_job_factory):
    from datetime import timedelta

    from app.models import utcnow
    now = utcnow()
    render_job_factory(status=RenderStatus.COMPLETED, queued_at=now - timedelta(seconds=30),
                       started_at=now - timedelta(seconds=20), completed_at=now - timedelta(seconds=10),
                       output_duration=20.0, attempts=1,
                       config={"template": "radial", "size": "1280x720", "fps": 30})
    radial = RenderJob.query.one()
    failed = render_job_factory(status=RenderStatus.FAILED)
    html = operator_client.get("/admin/renders/").get_data(as_text=True)
    for text in ("Queue wait", "Real-time factor", "Last error", "10.0 s", "0.50x", "radial"):
        assert text in html, text
    # the status and template filters narrow the list
    by_status = operator_client.get(f"/admin/renders/?{filter_arg(app, 'Status', 'equals')}=failed")
    assert str(failed.id) in by_status.get_data(as_text=True)
    assert str(radial.id) not in by_status.get_data(as_text=True)
    by_template = operator_client.get(f"/admin/renders/?{filter_arg(app, 'Template', 'equals')}=radial")
    assert str(radial.id) in by_template.get_data(as_text=True)
    assert str(failed.id) not in by_template.get_data(as_text=True)
    # an unknown value is ignored, never a 500
    status_arg = filter_arg(app, "Status", "equals")
    odd = operator_client.get(f"/admin/renders/?{status_arg}=nonsense&page=x&sort=99")
    assert odd.status_code == 200


def filter_arg(app, name: str, operation: str) -> str:
    """The query argument of one of the render list's filters (``flt0_<index>``)."""
    view = next(v for v in app.extensions["waveframe_admin"]._views if v.endpoint == "admin_renders")
    index = next(i for i, f in enumerate(view._filters)
                 if str(f.name) == name and str(f.operation()) == operation)
    return f"flt0_{index}"


def _filter(app, endpoint: str, name: str, operation: str) -> str:
    view = next(v for v in app.extensions["waveframe_admin"]._views if v.endpoint == endpoint)
    index = next(i for i, f in enumerate(view._filters)
                 if str(f.name) == name and str(f.operation()) == operation)
    return f"flt0_{index}"


def test_payments_filter_by_status_and_users_by_role(app, operator_client, viewer, app_ctx,
                                                     payment_factory):
    from app.models import PaymentStatus
    paid = payment_factory(status=PaymentStatus.PAID, amount=299)
    pending = payment_factory(status=PaymentStatus.PENDING)
    status = _filter(app, "admin_payments", "Status", "equals")
    html = operator_client.get(f"/admin/payments/?{status}=paid").get_data(as_text=True)
    assert str(paid.id) in html and str(pending.id) not in html and "2.99 USD" in html

    carl = make_customer("carl@example.com")
    role = _filter(app, "admin_users", "Role", "equals")
    viewers = operator_client.get(f"/admin/users/?{role}=viewer").get_data(as_text=True)
    assert str(viewer.id) in viewers and str(carl.id) not in viewers
    customers = operator_client.get(f"/admin/users/?{role}=none").get_data(as_text=True)
    assert str(carl.id) in customers and str(viewer.id) not in customers
