"""The dashboards' figures on a world where every number is known (see conftest.py), and the
cases behind every link are exactly the ones counted."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict

from cases.caseload import CaseloadFilter
from cases.models import OPEN_STATES
from cases.selectors import cases_visible_to
from counselling.dashboards import selectors

pytestmark = pytest.mark.django_db


def test_office_figures(world):
    d = selectors.office_dashboard(user=world.manager, office=world.office)
    t = d.totals
    assert (t.open, t.no_planned, t.overdue_outcome) == (10, 2, 1)
    assert (t.deadline_7, t.deadline_14, t.deadline_passed) == (1, 2, 1)
    assert (t.suspensive_review, t.escalation_proposed, t.lose_contact_proposed) == (1, 1, 1)
    assert (t.departed, t.removed, t.legal_stay_granted, t.untraceable, t.closed) == (1, 1, 1, 1, 1)
    assert t.voluntary_share == 0.5
    assert t.median_days == 25
    assert t.by_state == {"registered": 2, "orientation": 2, "legal_stay_review": 2, "voluntary_return": 1, "forced_return": 1, "untraceable": 2}
    assert t.by_target_group == {"individual": 8, "family": 1, "public_order": 1}

    weeks = {w.monday: w for w in d.weeks}
    this, last, before = d.clock.weeks[-1], d.clock.weeks[-2], d.clock.weeks[-3]
    assert (weeks[this].held, weeks[this].no_show, weeks[this].planned) == (1, 0, 0)
    assert (weeks[last].held, weeks[last].planned, weeks[last].cancelled) == (0, 1, 1)
    assert (weeks[before].held, weeks[before].no_show, weeks[before].show_up_rate) == (1, 1, 0.5)
    assert weeks[d.clock.weeks[0]].no_show == 1
    assert sum(w.scheduled for w in d.weeks) == 5
    assert t.show_up_rate == 0.5

    rows = {r.user_id: r for r in d.counsellors}
    assert (rows[world.c1.pk].open, rows[world.c1.pk].overdue_outcome, rows[world.c1.pk].conversations_this_week) == (4, 1, 1)
    assert (rows[world.c2.pk].open, rows[world.c2.pk].overdue_outcome, rows[world.c2.pk].conversations_this_week) == (5, 0, 0)
    assert rows[None].open == 1
    assert world.manager.pk not in rows  # managers are not counsellors of the office


def test_national_figures(world):
    d = selectors.national_dashboard(user=world.coordinator, quarter=world.quarter)
    by_office = {office.pk: figures for office, figures in d.offices}
    assert by_office[world.office.pk].open == 10
    b = by_office[world.other_office.pk]
    assert (b.open, b.no_planned, b.suspensive_review, b.departed, b.median_days, b.held_12_weeks) == (2, 2, 1, 1, 3, 1)
    assert (d.totals.open, d.totals.departed, d.totals.suspensive_review) == (12, 2, 2)
    assert d.totals.median_days == 20  # 3, 9, 20, 30, 51
    assert d.totals.voluntary_share == pytest.approx(2 / 3)

    occupancy = {row.facility.pk: row for row in d.facilities}
    assert occupancy[world.facility.pk].occupied == [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]
    assert (occupancy[world.facility.pk].today, occupancy[world.facility.pk].rate) == (1, 0.1)
    assert occupancy[world.house.pk].occupied == [0] * 12

    eurostat = {(r.code, r.ordered, r.voluntary, r.enforced) for r in d.citizenships}
    assert eurostat == {("MA", 1, 1, 0), ("DZ", 1, 0, 1), ("SY", 1, 1, 0)}
    assert (d.non_tcn_ordered, d.non_tcn_returned) == (1, 0)  # the French citizen
    assert d.repeat == selectors.RepeatOrders(people_with_orders=7, people_with_repeat=1, orders_in_period=4, repeat_orders_in_period=1)


def _count_behind(url: str, user) -> int:
    parts = urlsplit(url)
    return CaseloadFilter.from_params(QueryDict(parts.query)).apply(cases_visible_to(user)).count()


@pytest.mark.parametrize("page", ["office", "national"])
def test_every_link_lists_the_cases_counted(world, client, page):
    """A figure and the caseload behind its link never disagree (the conversation drill-down,
    which lists conversations, is checked the same way)."""
    user = world.manager if page == "office" else world.coordinator
    client.force_login(user)
    response = client.get(f"/dashboards/{page}/", {"quarter": str(world.quarter)} if page == "national" else {})
    assert response.status_code == 200
    checked = 0
    skip = {"eurostat": {2}, "repeat_orders": set()}  # persons, not cases: checked below
    for key, table in response.context["tables"].items():
        for row in table.rows + ([table.footer] if table.footer else []):
            for index, cell in enumerate(row):
                if index == 0 or not cell.url or index in skip.get(key, set()):
                    continue
                if "/dashboards/conversations/" in cell.url:
                    listed = client.get(cell.url).context["page"].paginator.count
                else:
                    listed = _count_behind(cell.url, user)
                assert listed == cell.value, (key, str(row[0]), cell.url)
                checked += 1
    for tile in response.context["tiles"]:
        assert _count_behind(tile["url"], user) == tile["value"], tile
    assert checked > (40 if page == "office" else 60)


def test_eurostat_people_links(world, client):
    client.force_login(world.coordinator)
    tables = client.get("/dashboards/national/", {"quarter": str(world.quarter)}).context["tables"]
    for row in tables["eurostat"].rows:
        assert _count_behind(row[2].url, world.coordinator) == row[2].value  # one case per person here
    repeat = tables["repeat_orders"].rows[1][1]
    assert (repeat.value, _count_behind(repeat.url, world.coordinator)) == (1, 1)


@pytest.mark.parametrize("page", ["office", "national"])
def test_csv_exports_match_the_screen(world, client, page):
    user = world.manager if page == "office" else world.coordinator
    client.force_login(user)
    params = {"office": world.office.pk} if page == "office" else {"quarter": str(world.quarter)}
    response = client.get(f"/dashboards/{page}/", params)
    html = response.content.decode()
    for key, table in response.context["tables"].items():
        export = client.get(f"/dashboards/export/{page}/{key}.csv", params)
        assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert rows[0] == [str(c) for c in table.columns]
        expected = [["" if c.value is None else str(c.value) for c in row] for row in table.rows + ([table.footer] if table.footer else [])]
        assert rows[1:] == expected, key
        for row in table.rows:  # and what the CSV says is what the page shows
            for cell in row[1:]:
                assert f">{cell}<" in html, (key, str(cell))


def test_case_export_is_the_filtered_caseload(world, client):
    client.force_login(world.manager)
    response = client.get("/dashboards/export/cases.csv", {"state": "open", "no_planned": "1"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2 and {r["state"] for r in rows} == {"registered"}
    # Like the caseload page: no state means the open cases, "all" every state.
    open_only = client.get("/dashboards/export/cases.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(open_only.streaming_content).decode())))
    assert len(rows) == cases_visible_to(world.manager).filter(state__in=OPEN_STATES).count()
    everything = client.get("/dashboards/export/cases.csv", {"state": "all"})
    rows = list(csv.DictReader(io.StringIO(b"".join(everything.streaming_content).decode())))
    assert len(rows) == cases_visible_to(world.manager).count() == 15
    assert {r["office"] for r in rows} == {world.office.code}
    assert "family_name" not in rows[0]  # no names leave the application


def test_occupancy_counts_what_occupied_on_says():
    """The week arithmetic of ``occupied_on_days`` (decision 121) against ``occupied_on`` day by
    day: placements starting and ending before, on and after each side of the snapshot days, one
    day long, open, in the future."""
    import datetime as dt

    from cases.models import Placement
    from counselling.dashboards.selectors import Clock, occupancy_days, occupied_on, occupied_on_days
    from tests.factories import FacilityFactory, PlacementFactory

    days = occupancy_days(Clock.start())
    facility, other = FacilityFactory(), FacilityFactory()
    offsets = (-30, -8, -7, -1, 0, 1, 6, 7, 8, 13, 14, 40, 76, 77, 78)  # from the first day; 77 is today
    for n, start in enumerate(offsets):
        for end in (*offsets, None):
            if end is None or end >= start:
                PlacementFactory(facility=(facility, other)[n % 2], started_on=days[0] + dt.timedelta(days=start),
                                 ended_on=None if end is None else days[0] + dt.timedelta(days=end))
    found = occupied_on_days(days)
    for where in (facility, other):
        expected = [Placement.objects.filter(occupied_on(day), facility=where).count() for day in days]
        assert found[where.pk] == expected and len(set(expected)) > 3
    with pytest.raises(ValueError):
        occupied_on_days([days[0], days[0] + dt.timedelta(days=3)])
