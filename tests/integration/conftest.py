"""Fixtures shared by the integration tests: settings in the test's own folders, a warehouse."""

import uuid

import pytest

from ase_impact.core.settings import load_settings
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from devtools.postgres_server import remove_server, start_server

TEST_KEY = "cle-de-test-0123456789abcdef0123456789"


@pytest.fixture
def settings(monkeypatch):
    """Every path under the test's folder (tests/conftest.py), with a fixed test key."""
    monkeypatch.setenv(KEY_ENV_VAR, TEST_KEY)
    return load_settings()


@pytest.fixture
def conn(settings):
    opened = connection.connect(settings.warehouse)
    schema.ensure_schema(opened)
    yield opened
    opened.close()


@pytest.fixture
def portal(settings):
    """The portal over the test's settings, with two associations' accounts and the
    département's (tests/integration/portal_fixtures.py)."""
    from tests.integration.portal_fixtures import make_portal

    return make_portal(settings)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL 15 cluster on 127.0.0.1 for the whole session (tests/postgres_server.py)."""
    server = start_server()
    yield server
    remove_server(server)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new empty database of the session's cluster, for one test."""
    return postgres_server.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pg_conn(postgres_url):
    opened = connection.connect(postgres_url)
    schema.ensure_schema(opened)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def postgres_demo(postgres_server, tmp_path_factory) -> str:
    """A PostgreSQL warehouse holding the demo set and every model built on it, its access set
    up as docs/postgresql.md says, shared by the session's tests (which only read it); its URL
    for the superuser."""
    from ase_impact.publish.snapshot import publish_snapshot
    from tests.integration.engines import (
        PIPELINE_ROLE,
        as_role,
        build_demo_warehouse,
        documented_access_sql,
    )

    url = postgres_server.create_database("demo")
    with connection.connect(url) as conn:
        # The pipeline's user owns the database and is no superuser, as the page says.
        conn.execute(f"CREATE ROLE {PIPELINE_ROLE} LOGIN")
        conn.execute(f"ALTER DATABASE demo OWNER TO {PIPELINE_ROLE}")
        conn.execute(documented_access_sql())  # the roles exist before the build grants them
    pipeline = as_role(url, PIPELINE_ROLE)
    build_demo_warehouse(tmp_path_factory.mktemp("postgres_demo"), pipeline)
    publish_snapshot(pipeline, pipeline)  # as a passed gate does
    return url
