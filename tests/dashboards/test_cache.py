"""Dashboards from the warm cache: same figures, no queries for the cases, and never across offices."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from counselling.dashboards.cache import warm_dashboards
from tests import factories as f


@pytest.fixture
def cached(settings):
    settings.RETURNPATH_DASHBOARD_MAX_AGE = 300
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_warm_dashboard_is_served_from_the_cache_and_refresh_recomputes(cached, office, manager, counsellor, client):
    f.CaseFactory(office=office, counsellor=counsellor)
    assert warm_dashboards()["offices"] >= 1
    client.force_login(manager)
    with CaptureQueriesContext(connection) as served:
        first = client.get("/dashboards/office/")
    assert first.status_code == 200
    # Only the two live proposal tiles count cases (issue 14); everything else comes from the cache.
    assert sum("cases_case" in q["sql"] for q in served.captured_queries) == 2
    f.CaseFactory(office=office, counsellor=counsellor)
    # Still the cached figures (they say when they were computed) ...
    assert client.get("/dashboards/office/").context["dashboard"].totals.open == 1
    # ... until someone asks for fresh ones.
    assert client.get("/dashboards/office/", {"refresh": "1"}).context["dashboard"].totals.open == 2


@pytest.mark.django_db
def test_the_cache_never_shows_another_offices_figures(cached, office, other_office, manager, other_counsellor, client):
    f.CaseFactory(office=other_office, counsellor=other_counsellor)
    warm_dashboards()
    client.force_login(manager)
    assert client.get("/dashboards/office/", {"office": other_office.pk}).status_code == 404
    page = client.get("/dashboards/office/")
    assert page.context["dashboard"].office == office and page.context["dashboard"].totals.open == 0


@pytest.mark.django_db
def test_the_national_dashboard_is_cached_per_quarter(cached, coordinator, office, counsellor, client):
    f.CaseFactory(office=office, counsellor=counsellor)
    warm_dashboards()
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as served:
        assert client.get("/dashboards/national/").status_code == 200
    assert sum("cases_case" in q["sql"] for q in served.captured_queries) <= 2


@pytest.mark.django_db
def test_proposal_tiles_are_live_and_match_their_list(cached, office, manager, counsellor, client):
    from django.utils import timezone

    from cases.models import Case, State

    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, escalation_proposed_at=timezone.now())
    warm_dashboards()
    client.force_login(manager)
    client.get("/dashboards/office/")
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, escalation_proposed_at=timezone.now())
    page = client.get("/dashboards/office/")
    assert page.context["dashboard"].totals.escalation_proposed == 1  # the cached figures
    tile = next(t for t in page.context["tiles"] if t["key"] == "escalation_proposed")
    assert tile["value"] == 2
    listing = client.get(tile["url"])
    assert listing.context["total"] == 2 == Case.objects.filter(escalation_proposed_at__isnull=False).count()
