"""Whose person a match is (decision 020): own when one of the person's orders is the client's,
whatever other orders (staff's, another client's) the person has; read through the person, not
through all of the client's orders (issue 15)."""

from __future__ import annotations

import pytest

from cases.matching import _people, match_person_for_order
from tests import factories as f

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures

pytestmark = pytest.mark.django_db


def _match(person, client):
    return match_person_for_order(client=client, national_number="", dossier_number=person.dossier_number,
                                  family_name=person.family_name, given_names=person.given_names,
                                  birth_date=person.birth_date, nationality=person.nationality.code)


@pytest.mark.parametrize(("clients", "asking", "own"), [
    (("a",), "a", True),
    ((None, "a"), "a", True),  # a staff order beside the client's (a NULL among the clients)
    (("b", None, "a"), "a", True),
    ((None,), "a", False),
    (("b",), "a", False),
    ((None, "b"), "a", False),
])
def test_a_person_is_own_when_one_of_their_orders_is_the_clients(make_api_client, clients, asking, own):
    named = {name: make_api_client(f"client-{name}")[0] for name in ("a", "b")}
    person = f.PersonFactory(dossier_number="D-OWN-1")
    for index, name in enumerate(clients):
        case = f.CaseFactory(person=person, state="closed") if index < len(clients) - 1 else f.CaseFactory(person=person)
        f.OrderFactory(case=case, client=named[name] if name else None)
    match = _match(person, named[asking])
    assert match is not None and match.person == person and match.own is own


@pytest.mark.postgres
def test_own_is_read_through_the_person_not_the_clients_orders(make_api_client):
    client, _token = make_api_client("client-a")
    sql = str(_people(dossier_number="D-OWN-2", client_id=client.pk).query)
    # The clients of the person's orders as an array (per person row), not an EXISTS the planner
    # may turn into a hash of every order of the client.
    assert "= ANY(ARRAY(SELECT" in sql and "EXISTS" not in sql.upper()
