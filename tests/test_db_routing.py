"""Reporting reads (dashboards, their warm-up, exports) go to the replica when one is configured;
everything else, and every write, stays on the primary."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import resolve

from cases.models import Case
from returnpath import db_routing
from returnpath.db_routing import REPLICA, ReplicaRouter, reporting_reads, reporting_view

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    # As if DATABASE_REPLICA_URL were set (the settings add the alias at start-up; see returnpath/settings.py).
    monkeypatch.setattr(db_routing, "replica_configured", lambda: True)


def test_without_a_replica_every_read_stays_on_the_primary():
    with reporting_reads():
        assert router.db_for_read(Case) is None


def test_reporting_reads_go_to_the_replica_and_writes_never(with_replica):
    assert router.db_for_read(Case) is None  # a counsellor's read must see what was just written
    with reporting_reads():
        assert router.db_for_read(Case) == REPLICA
        assert router.db_for_write(Case) == "default"
    assert router.db_for_read(Case) is None
    assert router.allow_migrate("default", "cases") and not router.allow_migrate(REPLICA, "cases")


def test_a_reporting_view_reads_on_the_replica_also_while_it_streams(with_replica):
    seen = []

    def page(request):
        seen.append(router.db_for_read(Case))
        return HttpResponse("ok")

    def export(request):
        def rows():
            seen.append(router.db_for_read(Case))  # runs after the view returned, while the answer is sent
            yield "a;b\n"
        return StreamingHttpResponse(rows())

    reporting_view(page)(None)
    response = reporting_view(export)(None)
    assert router.db_for_read(Case) is None
    assert b"".join(response.streaming_content) == b"a;b\n"
    assert seen == [REPLICA, REPLICA]


@pytest.mark.parametrize("path", ["/dashboards/office/", "/dashboards/national/", "/dashboards/export/cases.csv"])
def test_dashboards_and_exports_are_reporting_views(path, with_replica):
    view = resolve(path).func
    assert view.__wrapped__ is not None  # wrapped by reporting_view in counselling/dashboards/urls.py
    assert view.__code__ is reporting_view(lambda request: None).__code__
