"""A new dashboard figure is one declaration in ``cases.figures`` (decision 085): registered here
for one test only, it appears on both pages, in their CSV exports, behind a caseload link that
lists exactly the cases it counts, on the fast path (tally + due rows), and in the cache key."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.db.models import Q
from django.http import QueryDict

from cases import figures
from cases.caseload import CaseloadFilter, extra_filters
from cases.figures import ATTENTION, REGISTRY, Clock, Figure
from cases.models import State
from cases.selectors import cases_visible_to
from counselling.dashboards import tally
from counselling.dashboards.selectors import national_dashboard, office_dashboard

pytestmark = pytest.mark.django_db

NEW = Figure(
    "registered_unassigned", "Registered, nobody assigned",
    lambda clock: Q(state=State.REGISTERED, counsellor__isnull=True),
    lambda clock: {"registered_unassigned": True}, ATTENTION, column="Unassigned", flag=True,
    describe="registered and nobody assigned",
)


@pytest.fixture
def new_figure(monkeypatch):
    monkeypatch.setitem(REGISTRY, NEW.name, NEW)
    return NEW


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_figure_declared_once_is_on_the_pages_in_the_csv_and_behind_its_link(world, client, new_figure):
    # The world has one registered case nobody is assigned to, in the first office.
    client.force_login(world.manager)
    office = client.get("/dashboards/office/", {"office": world.office.pk})
    tile = next(t for t in office.context["tiles"] if t["key"] == NEW.name)
    assert (tile["label"], tile["value"]) == ("Registered, nobody assigned", 1)
    row = next(r for r in office.context["tables"]["attention"].rows if str(r[0]) == "Registered, nobody assigned")
    assert row[1].value == 1 and row[1].url == tile["url"]
    assert 'Registered, nobody assigned</span>' in office.content.decode()

    # The link: the caseload parameter the figure declared, filtering by the figure's own condition.
    query = QueryDict(urlsplit(tile["url"]).query)
    assert query["registered_unassigned"] == "1"
    listed = CaseloadFilter.from_params(query).apply(cases_visible_to(world.manager))
    assert [(c.state, c.counsellor_id) for c in listed] == [(State.REGISTERED, None)]
    page = client.get(tile["url"])
    assert page.context["total"] == 1
    assert ("registered_unassigned", "1", "registered and nobody assigned") in extra_filters(query)

    exported = _csv(client.get("/dashboards/export/office/attention.csv", {"office": world.office.pk}))
    assert ["Registered, nobody assigned", "1"] in exported

    # Nationally: a column of its own per office, on screen and in the CSV.
    client.force_login(world.coordinator)
    national = client.get("/dashboards/national/", {"quarter": str(world.quarter)})
    load = national.context["tables"]["offices_load"]
    assert "Unassigned" in load.columns
    exported = _csv(client.get("/dashboards/export/national/offices_load.csv", {"quarter": str(world.quarter)}))
    column = exported[0].index("Unassigned")
    by_office = {row[0]: row[column] for row in exported[1:]}
    assert by_office == {world.office.name: "1", world.other_office.name: "0", "All offices": "1"}


def test_the_fast_path_counts_a_new_figure_like_the_live_queries(world, new_figure):
    if not tally.available():
        pytest.skip("the tally exists on PostgreSQL only")
    clock = Clock.start()
    for where in (world.office, world.other_office):
        fast = office_dashboard(user=None, office=where, clock=clock)
        live = office_dashboard(user=None, office=where, clock=clock, live=True)
        assert fast.totals.registered_unassigned == live.totals.registered_unassigned
    assert national_dashboard(user=None, clock=clock).totals.registered_unassigned == 1


def test_the_cache_key_follows_the_figures(monkeypatch):
    before = figures.fingerprint()
    monkeypatch.setitem(REGISTRY, NEW.name, NEW)
    added = figures.fingerprint()
    assert added != before
    # A figure counting other cases under the same name is another key too.
    monkeypatch.setitem(REGISTRY, NEW.name, Figure(NEW.name, NEW.label, lambda clock: Q(state=State.ORIENTATION), NEW.link, ATTENTION))
    assert figures.fingerprint() not in (before, added)
    monkeypatch.delitem(REGISTRY, NEW.name)
    assert figures.fingerprint() == before


def test_the_cache_key_is_the_same_in_every_process():
    """Web workers and the beat that warms the cache must agree on the key, or nothing is ever
    served from it: no memory address or per-process hash may enter the fingerprint."""
    code = "import django; django.setup(); from cases.figures import fingerprint; print(fingerprint())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "DJANGO_SETTINGS_MODULE": "returnpath.settings", "PYTHONHASHSEED": "random"})
    assert other.stdout.strip() == figures.fingerprint()


def test_a_name_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        figures.declare(REGISTRY["open"])
