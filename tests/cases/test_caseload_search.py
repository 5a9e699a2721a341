"""The caseload search at scale (decision 072): one branch per kind of term, each under every
other filter, and a bound on what the page matches."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import views
from cases.caseload import CaseloadFilter
from cases.models import Case, State
from cases.selectors import cases_visible_to
from tests import factories as f

pytestmark = pytest.mark.django_db


def _filter(**params: str) -> CaseloadFilter:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = value
    return CaseloadFilter.from_params(query)


def _found(caseload_filter: CaseloadFilter, cases=None, **kwargs) -> list[Case]:
    return list(caseload_filter.apply(cases if cases is not None else Case.objects.all(), **kwargs))


def test_the_search_keeps_every_other_filter_and_the_scope(office, other_office, counsellor, other_counsellor):
    mine = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Amrani")
    f.CaseFactory(office=office, counsellor=None, state=State.ORIENTATION, person__family_name="Amrani")  # not mine
    f.CaseFactory(office=office, counsellor=counsellor, state=State.CLOSED, person__family_name="Amrani")  # not open
    f.CaseFactory(office=other_office, counsellor=other_counsellor, state=State.ORIENTATION, person__family_name="El Amrani")
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Benali")
    assert _found(_filter(q="amrani", counsellor=str(counsellor.pk)), cases_visible_to(counsellor)) == [mine]
    assert len(_found(_filter(q="amrani"), cases_visible_to(counsellor))) == 2  # the office's open Amranis
    assert len(_found(_filter(q="amrani", state="all"))) == 4


def test_a_case_found_by_its_name_and_its_order_reference_is_one_row(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Okafor")
    f.OrderFactory(case=case, external_reference="okafor")
    assert _found(_filter(q="okafor")) == [case]
    assert _found(_filter(q="okafor"), bound=5) == [case]


def test_the_bound_keeps_the_search_to_that_many_cases_and_sorts_them(office, counsellor):
    cases = [f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Haddad")
             for _ in range(5)]
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Diallo")
    everything = _found(_filter(q="hadd", sort="opened"))
    assert set(everything) == set(cases)
    bounded = _found(_filter(q="hadd", sort="opened"), bound=3)
    assert len(bounded) == 3 and set(bounded) <= set(cases)
    assert bounded == sorted(bounded, key=lambda c: (c.opened_at, c.pk))
    # A bound the search does not reach changes nothing.
    assert _found(_filter(q="hadd", sort="opened"), bound=6) == everything


def test_the_page_says_when_more_cases_match_than_it_lists(client, office, counsellor, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    for _ in range(5):
        f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Haddad")
    client.force_login(counsellor)
    response = client.get(client.post(reverse("cases:caseload"), {"q": "haddad"})["Location"])
    html = response.content.decode()
    assert "More than 3 cases match this search" in html
    assert len(response.context["cases"]) == 3 and not response.context["has_next"]
    # Fewer matches than the bound: all of them, and no such sentence.
    html = client.get(client.post(reverse("cases:caseload"), {"q": "haddad", "state": "terminal"})["Location"]).content.decode()
    assert "cases match this search" not in html
    monkeypatch.setattr(views, "COUNT_CAP", 5)
    html = client.get(client.post(reverse("cases:caseload"), {"q": "haddad"})["Location"]).content.decode()
    assert "cases match this search" not in html and "of 5" in html


def _search_queries(client, q: str) -> int:
    url = client.post(reverse("cases:caseload"), {"q": q})["Location"]
    client.get(url)  # the first page after the search touches the session (decision 071)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_search_query_count_does_not_grow_with_the_matches(client, office, counsellor):
    client.force_login(counsellor)
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Ahmadi")
    few = _search_queries(client, "ahmadi")
    for _ in range(30):
        f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Ahmadi")
    many = _search_queries(client, "ahmadi")
    assert few == many
    assert many <= 11  # the same as the list without a search: the page's rows and the capped count


def _statements(client, url: str) -> list[str]:
    client.get(url)  # the first page after the search touches the session (decision 071)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_search_matches_the_caseload_once_for_its_rows_and_their_count(client, office, counsellor):
    """The matches are found once, as sorted ids that are both the page and the count: walking a
    counsellor's caseload twice (rows, then count) made the page's cost grow twice with it."""
    client.force_login(counsellor)
    for _ in range(30):
        f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Ahmadi")
    url = client.post(reverse("cases:caseload"), {"q": "ahmadi"})["Location"]
    matching = [sql for sql in _statements(client, url) if "%ahmadi%" in sql]
    assert len(matching) == 1
    # The page's people are read by the ids found, not searched again.
    assert "cases_person" in next(sql for sql in _statements(client, url) if '"cases_person"."family_name"' in sql)


def test_a_search_pages_through_its_matches_in_the_caseload_order(client, office, counsellor):
    client.force_login(counsellor)
    for _ in range(30):
        f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Haddad")
    f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, person__family_name="Diallo")
    expected = _found(_filter(q="haddad", counsellor=str(counsellor.pk)), cases_visible_to(counsellor))
    url = client.post(reverse("cases:caseload"), {"q": "haddad"})["Location"]
    first, second = client.get(url), client.get(f"{url}&page=2")
    assert first.context["has_next"] and not second.context["has_next"]
    assert first.context["total"] == second.context["total"] == 30
    assert [case.pk for case in [*first.context["cases"], *second.context["cases"]]] == [case.pk for case in expected]
    assert client.get(f"{url}&page=3").context["cases"] == []
