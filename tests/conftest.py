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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test (live server, real worker, races) flushed the test database,
    put the migration's roles and playbooks back for the tests that follow (and --reuse-db).
    A hook, not a fixture: it must run after pytest-django's own teardown has flushed."""
    yield
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or {"live_server", "transactional_db"} & set(
        getattr(item, "fixturenames", ())
    )
    if not transactional:
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        if _on_test_database():
            ensure_reference_data()


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
