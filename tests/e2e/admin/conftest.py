"""The console in the shared browser set-up of the web app's tests: the same live server on the
run's database, Chromium from the system, screenshots to ``artifacts/e2e/``."""

from tests.e2e.frontend.conftest import (  # noqa: F401  (fixtures, used by name)
    artifacts,
    browse,
    chromium,
    fake_stripe,
    live_server,
    paid_server,
)
