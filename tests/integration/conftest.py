"""Fixtures shared by the integration tests: settings in the test's own folders, a warehouse."""

import pytest

from orchestration.ingest import warehouse
from orchestration.ingest.pseudonymise import KEY_ENV_VAR
from orchestration.settings import load_settings

TEST_KEY = "cle-de-test-0123456789abcdef0123456789"


@pytest.fixture
def settings(monkeypatch):
    """Every path under the test's folder (tests/conftest.py), with a fixed test key."""
    monkeypatch.setenv(KEY_ENV_VAR, TEST_KEY)
    return load_settings()


@pytest.fixture
def conn(settings):
    connection = warehouse.connect(settings.warehouse)
    warehouse.ensure_schema(connection)
    yield connection
    connection.close()
