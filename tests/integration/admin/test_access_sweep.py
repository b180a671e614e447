"""Every admin URL of the url map, for every kind of visitor.

The URLs come from ``app.url_map``: each rule whose endpoint belongs to a Flask-Admin view of the
console (a later view is swept without touching this test). Outside the sweep, on purpose:
``admin.static`` (Flask-Admin's CSS/JS, public like any stylesheet: the login page needs them)
and the ``admin_session`` blueprint (the login page itself and the logout form, tested in
test_login.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask_jwt_extended import create_access_token

from app.models import AuditEvent, Payment, RenderJob, User
from tests.integration.admin.console import make_customer, page_token

# What each Flask-Admin model-view endpoint needs switched on, and which ones change rows.
FLAGS = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
         "details_view": "can_view_details", "export": "can_export",
         "ajax_update": "column_editable_list", "ajax_lookup": "form_ajax_refs"}
WRITES = {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}
PATH_VALUES = {"export_type": "csv"}
# Path arguments naming a row take the seeded row's id (an unknown id is a 404, not a page).
ROW_ARGUMENTS = {"job_id": RenderJob, "payment_id": Payment}


def console_views(app):
    return {view.endpoint: view for view in app.extensions["waveframe_admin"]._views}


def admin_requests(app, ids: dict[type, str]) -> list[tuple[str, str, str, object, str]]:
    """(method, url, endpoint, view, view method name) for every admin rule and method."""
    views = console_views(app)
    found = []
    for rule in app.url_map.iter_rules():
        blueprint, _, name = rule.endpoint.partition(".")
        if blueprint not in views or name == "static":
            continue
        view = views[blueprint]
        path = rule.build({arg: ids[ROW_ARGUMENTS[arg]] if arg in ROW_ARGUMENTS
                           else PATH_VALUES.get(arg, "x") for arg in rule.arguments})[1]
        model = getattr(view, "model", None)
        url = path + (f"?{urlencode({'id': ids[model]})}" if model in ids else "")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url, rule.endpoint, view, name))
    return found


def enabled(view, name: str) -> bool:
    flag = FLAGS.get(name)
    return flag is None or bool(getattr(view, flag, None))


def changes_something(view, name: str, method: str) -> bool:
    return method != "GET" or name in WRITES or getattr(getattr(view, name, None), "_operator_only", False)


@pytest.fixture
def rows(app_ctx, render_job_factory, payment_factory, operator):
    job = render_job_factory()
    payment = payment_factory()
    from app.admin import audit
    event = audit.record("test.seed", "render_job", job.id, actor=operator)
    return {User: str(operator.id), RenderJob: str(job.id), Payment: str(payment.id),
            AuditEvent: str(event.id)}


def send(client, method: str, url: str, token: str | None = None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token} if token else {})


def test_the_sweep_covers_every_console_view(app, rows):
    endpoints = {endpoint for _, _, endpoint, _, _ in admin_requests(app, rows)}
    for expected in ("admin.index", "admin_users.index_view", "admin_users.action_view",
                     "admin_payments.details_view", "admin_renders.action_view", "admin_audit.edit_view",
                     "admin_audit.delete_view"):
        assert expected in endpoints
    assert len(endpoints) >= 30


def test_anonymous_is_redirected_to_the_login_page_everywhere(app, rows):
    client = app.test_client()
    for method, url, endpoint, _, _ in admin_requests(app, rows):
        response = send(client, method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/admin/login?next="), (method, url)


def test_a_logged_in_account_without_a_role_gets_403_everywhere(app, rows):
    from app.admin.session import SESSION_KEY, open_session_record
    customer = make_customer("carl@example.com")
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = open_session_record(customer)
    for method, url, endpoint, _, _ in admin_requests(app, rows):
        response = send(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "no role in the admin console" in response.get_data(as_text=True)


def test_a_viewer_reads_every_page_and_changes_nothing(app, rows, viewer_client):
    token = page_token(viewer_client, "/admin/")
    seen = 0
    for method, url, endpoint, view, name in admin_requests(app, rows):
        response = send(viewer_client, method, url, token)
        if enabled(view, name) and not changes_something(view, name, method):
            assert response.status_code == 200, (method, url, response.status_code)
            seen += 1
        else:
            assert response.status_code == 403, (method, url, response.status_code)
    assert seen >= 9  # home, and the list and details of each of the four views


def test_an_operator_may_do_what_each_view_offers(app, rows, operator_client):
    token = page_token(operator_client, "/admin/")
    for method, url, endpoint, view, name in admin_requests(app, rows):
        response = send(operator_client, method, url, token)
        if not enabled(view, name):
            assert response.status_code == 403, (method, url, response.status_code)
        elif method == "GET":
            assert response.status_code == 200, (method, url, response.status_code)
        else:  # an empty action form: nothing to do, back to the page; or a form sent without
            # its required fields (a refund without a reason), shown again with its errors
            assert response.status_code in (200, 302, 422), (method, url, response.status_code)


def test_a_bearer_token_never_opens_the_console(app, rows, operator):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_access_token(identity=operator, fresh=True)}"}
    assert client.get("/api/v1/account", headers=headers).status_code == 200  # the token is good
    for method, url, _, _, _ in admin_requests(app, rows):
        response = client.open(url, method=method, headers=headers)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], (method, url)


def test_the_console_session_never_opens_the_api(operator_client):
    assert operator_client.get("/admin/").status_code == 200
    cookie = operator_client.get_cookie("waveframe_admin", path="/admin")
    assert cookie is not None and cookie.path == "/admin"  # the browser keeps it to /admin
    for path in ("/api/v1/account", "/api/v1/renders", "/api/v1/account/history"):
        response = operator_client.get(path, headers={"Cookie": f"waveframe_admin={cookie.value}"})
        assert response.status_code == 401, (path, response.status_code)
        assert response.get_json()["error"]["code"] in {"unauthorized", "missing_token", "token_missing"}
