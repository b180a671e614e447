import pytest

from tests.integration.admin.console import log_in, make_admin


@pytest.fixture
def operator(app_ctx):
    return make_admin("olga.operator@example.com", "operator")


@pytest.fixture
def viewer(app_ctx):
    return make_admin("victor.viewer@example.com", "viewer")


@pytest.fixture
def operator_client(app, operator):
    client = app.test_client()
    assert log_in(client, operator.email).status_code == 302
    return client


@pytest.fixture
def viewer_client(app, viewer):
    client = app.test_client()
    assert log_in(client, viewer.email).status_code == 302
    return client
