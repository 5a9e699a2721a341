"""One round trip for a page's lists gives exactly the instances each query would (decision 071)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.case_page import case_page_querysets
from cases.models import CaseEvent
from offices.models import Office
from returnpath.preload import first, preload, rows
from tests.cases.test_case_page_queries import build_rich_case

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="one round trip is PostgreSQL's json_agg")


def _values(obj, depth: int = 0) -> dict:
    """Every column of the instance and of what select_related or a related manager attached to it."""
    values = {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}
    if depth < 2:
        for name, related in obj._state.fields_cache.items():
            values[f"{name}→"] = _values(related, depth + 1) if related is not None else None
    return values


def _loaded(case):
    from cases.selectors import access_case

    return access_case(actor=case.counsellor, case_id=case.pk)


@pytest.fixture
def rich_case(office, counsellor, manager):
    return build_rich_case(office, counsellor, manager)


def test_the_case_page_lists_come_in_one_query_and_equal_their_own_queries(rich_case):
    CaseEvent.objects.create(case=rich_case, kind="note", note="with data", data={"a": 1.5, "b": [1, "x", None], "c": {"d": True}})
    case = _loaded(rich_case)
    querysets = case_page_querysets(case, 1)
    with CaptureQueriesContext(connection) as captured:
        preload(case, querysets)
    assert len(captured) == 1
    with CaptureQueriesContext(connection) as served:
        preloaded = [rows(case, queryset) for queryset in case_page_querysets(case, 1)]
    assert len(served) == 0
    fresh = _loaded(rich_case)
    queried = [list(queryset) for queryset in case_page_querysets(fresh, 1)]
    assert [len(found) for found in preloaded] == [len(found) for found in queried]
    assert all(preloaded[:5]) and sum(len(found) for found in preloaded) > 25  # the rich case fills the lists
    for ours, theirs in zip(preloaded, queried, strict=True):
        assert [_values(o) for o in ours] == [_values(o) for o in theirs]
        assert [type(o) for o in ours] == [type(o) for o in theirs]
    # The related manager's case comes with the rows, as it does from a query.
    assert all(order.case is case for order in rows(case, case.orders.all()))


def test_types_survive_the_json(db, office):
    office.latitude, office.longitude = Decimal("50.85034"), Decimal("-4.35171")
    office.save()
    holder = type("Holder", (), {})()
    queryset = Office.objects.filter(pk=office.pk)
    preload(holder, [queryset])
    (ours,) = rows(holder, queryset)
    (theirs,) = list(queryset)
    assert _values(ours) == _values(theirs)
    assert isinstance(ours.latitude, Decimal) and ours.latitude == Decimal("50.85034")


def test_a_query_that_was_not_preloaded_runs_as_usual(rich_case, django_assert_num_queries):
    case = _loaded(rich_case)
    preload(case, [case.orders.all()])
    with django_assert_num_queries(1):
        assert first(case, case.procedures.filter(lodged_on__lt=dt.date(1900, 1, 1))) is None
    with django_assert_num_queries(0):
        assert rows(case, case.orders.all())
    with django_assert_num_queries(1):  # another filter is another query, never a wrong answer
        assert rows(case, case.orders.filter(pk=-1)) == []
