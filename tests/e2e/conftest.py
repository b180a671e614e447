"""Fixtures the end-to-end tests share with the render-job integration tests."""

from tests.integration.renders.conftest import (  # noqa: F401  (fixtures, used by name)
    make_paying_app,
    paying_app,
    paying_client,
)
