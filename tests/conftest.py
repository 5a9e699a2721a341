"""Shared fixtures: the actors of DESIGN §1 and the service checks of CI.

With ``REQUIRE_SERVICES=1`` (CI, ``make test``), a test that needs PostgreSQL, Redis or
Chromium and cannot get it *fails* instead of being skipped: a green run that skipped them is
not green.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from offices.models import Membership
from returnpath import roles
from tests import factories as f

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need(condition: bool, why: str) -> None:
    """Skip locally, fail in CI, when a service the test needs is missing."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Test users get a cheap hash: PBKDF2 costs ~0.25 s per user and would dominate the suite."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture
def postgres(db):
    need(connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _marked_services(request):
    """``@pytest.mark.postgres`` is enough for a test to need PostgreSQL."""
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("postgres")


@pytest.fixture(autouse=True, scope="session")
def _celery_in_memory():
    """Tasks the code under test queues after commit go to an in-memory broker, not the
    developer's filesystem queue or Redis. The worker tests bring their own broker.

    Celery prefers a CELERY_BROKER_URL in the environment to its configuration, so a caller's
    variable is set aside for the run (issue 13, item 12: tests stand on their own)."""
    from returnpath.celery import app

    saved = os.environ.pop("CELERY_BROKER_URL", None)
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    yield
    if saved is not None:
        os.environ["CELERY_BROKER_URL"] = saved


@pytest.fixture(autouse=True)
def _live_dashboards(settings):
    """Dashboards computed on every request in tests (the cache has its own tests)."""
    settings.RETURNPATH_DASHBOARD_MAX_AGE = 0


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Every test reads offices and playbooks afresh (each process keeps them a while, decision 061)."""
    from offices.reference import forget_reference_data

    forget_reference_data()
    yield
    forget_reference_data()


def ensure_reference_data() -> None:
    """Roles and playbooks come from a data migration; a transactional test's flush removes them."""
    import importlib

    from django.apps import apps

    from returnpath.roles import ensure_roles

    importlib.import_module("cases.migrations.0002_roles_and_playbooks").create_playbooks(apps, None)
    ensure_roles()


def _on_test_database() -> bool:
    name = str(connection.settings_dict.get("NAME", ""))
    return name.startswith("test_") or "memory" in name or connection.settings_dict.get("TEST", {}).get("NAME") == name


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """Every transactional test (live server, real worker, races) rolls back by reloading the
    migrated database's snapshot: its flush would otherwise wipe the roles, playbooks and message
    templates that data migrations created, for every test after it."""
    for item in items:
        if _is_transactional(item):
            marker = item.get_closest_marker("django_db")
            kwargs = dict(marker.kwargs) if marker else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
            item.fixturenames.insert(0, "_serialized_snapshot")


@pytest.fixture(scope="session")
def _serialized_snapshot(django_db_setup):
    """Keep the migrated database's snapshot where every connection object finds it.

    Django keeps it on the connection object that created the test database; Playwright and
    schemathesis can make the main thread use another wrapper object, and then serialized
    rollback would silently do nothing (and the flush would not be inhibited)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    wrapper = connections[DEFAULT_DB_ALIAS]
    snapshot = getattr(wrapper, "_test_serialized_contents", None)
    if snapshot:
        type(wrapper)._test_serialized_contents = snapshot
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A serialized transactional test leaves an empty database (the next such test reloads the
    snapshot itself). When the next test is not one of them — or this is the last test, and
    --reuse-db keeps the database — reload the snapshot here."""
    yield
    if not _is_transactional(item) or (nextitem is not None and _is_transactional(nextitem)):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        snapshot = getattr(connection, "_test_serialized_contents", None)
        if snapshot and _on_test_database():
            connection.creation.deserialize_db_from_string(snapshot)


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests: make sure the roles and playbooks are there before the test."""
    ensure_reference_data()


@pytest.fixture
def office(db):
    office = f.OfficeFactory(code="BXL-TEST", name="Brussels test office", province="brussels")
    f.ServiceAreaFactory(office=office, postcode_from=1000, postcode_to=1299)
    f.add_weekday_hours(office)
    return office


@pytest.fixture
def other_office(db):
    office = f.OfficeFactory(code="ANT-TEST", name="Antwerp test office", province="antwerp", postcode="2000", municipality="Antwerpen")
    f.ServiceAreaFactory(office=office, postcode_from=2000, postcode_to=2999)
    f.add_weekday_hours(office)
    return office


@pytest.fixture
def counsellor(office):
    return f.staff(username="counsellor.test", office=office)


@pytest.fixture
def other_counsellor(other_office):
    return f.staff(username="counsellor.other", office=other_office)


@pytest.fixture
def manager(office):
    return f.staff(username="manager.test", office=office, role=Membership.Role.MANAGER)


@pytest.fixture
def coordinator(db):
    return f.UserFactory(username="coordinator.test", groups=[roles.NATIONAL_COORDINATOR])


@pytest.fixture
def case(office, counsellor):
    return f.CaseFactory(office=office, counsellor=counsellor)
