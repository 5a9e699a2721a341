import pytest
from django.http import QueryDict

from cases.caseload import CaseloadFilter, caseload_url, extra_filters
from cases.models import OPEN_STATES, Case, State
from tests import factories as f


@pytest.mark.django_db
def test_the_caseload_shows_open_cases_unless_asked_for_all(office, counsellor, client):
    open_case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    finished = f.CaseFactory(office=office, counsellor=counsellor, state=State.DEPARTED)
    assert set(CaseloadFilter.from_params(QueryDict("")).states) == {s.value for s in OPEN_STATES}
    assert CaseloadFilter.from_params(QueryDict("state=all")).states == []
    client.force_login(counsellor)
    default = client.get("/cases/").content.decode()
    assert f"#{open_case.pk}<" in default and f"#{finished.pk}<" not in default
    everything = client.get("/cases/", {"state": "all"}).content.decode()
    assert f"#{open_case.pk}<" in everything and f"#{finished.pk}<" in everything


def test_links_without_a_state_count_every_state():
    assert "state=all" in caseload_url(facility=3)
    assert "state=orientation" in caseload_url(state="orientation")


@pytest.mark.django_db
def test_filters_the_form_does_not_show_are_named_and_kept(counsellor, client):
    params = QueryDict("state=all&facility=7&repeat_order=1&ordered_since=2026-07-01&ordered_since_bad=x")
    described = {key: label for key, _value, label in extra_filters(params)}
    assert set(described) == {"facility", "repeat_order", "ordered_since"}
    client.force_login(counsellor)
    page = client.get("/cases/", {"state": "all", "repeat_order": "1"}).content.decode()
    assert "Also filtered by" in page and 'name="repeat_order" value="1"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["haddad nassim", "Nassim Haddad", "NASSIM", "hadd", "doğan", "dogan aissatou", "Aïssatou"])
def test_search_finds_a_person_by_any_words_of_the_name_without_accents(office, counsellor, query):
    wanted = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION,
                           person__family_name="Haddad", person__given_names="Nassim")
    other = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION,
                          person__family_name="Doğan", person__given_names="Aïssatou")
    found = set(CaseloadFilter.from_params(_params(query)).apply(Case.objects.all()))
    expected = other if any(w in query.lower() for w in ("doğan", "dogan", "aïssatou", "aissatou")) else wanted
    assert found == {expected}


@pytest.mark.django_db
def test_search_by_case_number_with_or_without_hash(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    for query in (str(case.pk), f"#{case.pk}", f" #{case.pk} "):
        assert case in CaseloadFilter.from_params(_params(query)).apply(Case.objects.all())


def _params(query: str) -> QueryDict:
    params = QueryDict(mutable=True)
    params["q"] = query
    return params
