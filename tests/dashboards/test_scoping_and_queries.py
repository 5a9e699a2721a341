"""Who sees what, and a number of queries per page that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import State
from offices.models import Membership, Office
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_manager_sees_only_their_offices(world, client):
    client.force_login(world.manager)
    response = client.get("/dashboards/office/")
    assert response.status_code == 200
    assert response.context["offices"] == [world.office]
    assert response.context["dashboard"].totals.open == 10
    assert world.other_office.name not in response.content.decode()
    assert client.get("/dashboards/office/", {"office": world.other_office.pk}).status_code == 404
    assert client.get("/dashboards/export/office/by_state.csv", {"office": world.other_office.pk}).status_code == 404
    drill = client.get("/dashboards/conversations/", {"office": world.other_office.pk})
    assert drill.context["page"].paginator.count == 0  # B has a held conversation; A's manager sees none of it


@pytest.mark.parametrize("url", ["/dashboards/national/", "/dashboards/export/national/eurostat.csv", "/dashboards/export/national/offices_load.csv"])
def test_the_national_dashboard_is_for_coordinators(world, client, url):
    client.force_login(world.manager)
    assert client.get(url).status_code == 403
    client.force_login(world.coordinator)
    assert client.get(url).status_code == 200


def test_counsellors_and_strangers(world, client):
    client.force_login(world.c1)
    assert client.get("/dashboards/office/").status_code == 403
    assert client.get("/dashboards/national/").status_code == 403
    client.logout()
    response = client.get("/dashboards/office/")
    assert response.status_code == 302 and "next=" in response["Location"]


def test_a_coordinator_opens_any_office(world, client):
    client.force_login(world.coordinator)
    response = client.get("/dashboards/office/", {"office": world.other_office.pk})
    assert response.status_code == 200 and response.context["dashboard"].totals.open == 2


def test_htmx_swaps_only_the_dashboard(world, client):
    client.force_login(world.manager)
    response = client.get("/dashboards/office/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard"') and "<html" not in body
    assert "Figures computed at" in body


# --- query counts ----------------------------------------------------------------------------
_serial = itertools.count()


def grow(*, offices: int, cases: int, manager, coordinator) -> None:
    """Add offices (each with a counsellor, a facility and the manager) and cases in every state,
    each with an order, conversations in the last weeks and sometimes a placement."""
    today, now = timezone.localdate(), timezone.now()
    made = []
    for _ in range(offices):
        n = next(_serial)
        office = f.OfficeFactory(code=f"Q-{n}", name=f"Query office {n}")
        Membership.objects.create(user=manager, office=office, role=Membership.Role.MANAGER)
        made.append((office, f.staff(username=f"q.counsellor.{n}", office=office),
                     f.FacilityFactory(code=f"QF-{n}", kind=Office.FACILITY_KINDS[n % 3], capacity=5)))
    states = itertools.cycle(State.values)
    for i in range(cases):
        office, counsellor, facility = made[i % len(made)]
        state = next(states)
        terminal = state in ("departed", "removed", "legal_stay_granted", "closed")
        case = f.CaseFactory(office=office, counsellor=counsellor, state=state, person=f.PersonFactory(nationality=["MA", "DZ", "AF"][i % 3]),
                             outcome_at=now - dt.timedelta(days=i % 50) if terminal else None,
                             departed_on=today - dt.timedelta(days=i % 50) if state == "departed" else None,
                             removed_on=today - dt.timedelta(days=i % 50) if state == "removed" else None,
                             pending_suspensive_procedures=i % 2)
        f.OrderFactory(case=case, notified_on=today - dt.timedelta(days=60 + i % 40), issued_on=today - dt.timedelta(days=100))
        for week in range(i % 3):
            f.ConversationFactory(case=case, planned_at=now - dt.timedelta(weeks=week, hours=i), status=["held", "no_show"][week % 2], stance="considering")
        if state == "forced_return":
            f.PlacementFactory(case=case, facility=facility)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("who,url", [
    ("manager", "/dashboards/office/"),
    ("coordinator", "/dashboards/national/"),
    ("coordinator", "/dashboards/export/national/offices_load.csv"),
    ("manager", "/dashboards/export/cases.csv"),
    ("manager", "/dashboards/conversations/"),
])
def test_queries_do_not_grow_with_cases_or_offices(manager, coordinator, client, who, url):
    user = {"manager": manager, "coordinator": coordinator}[who]
    grow(offices=2, cases=10, manager=manager, coordinator=coordinator)
    client.force_login(user)
    client.get(url)  # the first page after signing in touches the session (decision 071)
    small = _queries(client, url)
    grow(offices=3, cases=50, manager=manager, coordinator=coordinator)  # now 5 offices, 60 cases
    large = _queries(client, url)
    assert small == large, (small, large)
    assert small <= 22  # +2 for an export: the access log reads the exported case ids and inserts its rows
