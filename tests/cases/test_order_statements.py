"""One order's statements made cheaper (decision 115) write and read exactly what the ORM would."""

import datetime as dt
import random

import pytest
from django.db.models import Value

from cases import services
from cases.models import Case, CaseEvent, OrderToLeave, Person
from cases.services.staffing import lightest_counsellor, office_counsellors, pick_lightest
from offices.models import StaffProfile
from returnpath.actors import SYSTEM
from returnpath.errors import Conflict
from returnpath.precompiled import precompiled
from tests import factories as f
from tests.cases.test_api_support import order_payload
from tests.cases.test_orders import order, person

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.cases.test_api_support"]

SKIP = {"id", "created_at", "opened_at", "updated_at", "state_entered_at", "received_at", "history_id", "history_date",
        "person_id", "case_id", "dossier_number", "external_reference", "content_hash"}


def _row(queryset) -> dict:
    return {k: v for k, v in queryset.values().get().items() if k not in SKIP}


def test_a_new_case_is_written_as_its_saves_would_write_it(other_office):
    f.staff(username="ant.fr", office=other_office, languages=("fr",))
    result = services.open_case_from_order(actor=SYSTEM, data=order("ONE", who=person(dossier_number="D-1")))
    case = result.case

    # The same rows through the models' saves (what the service wrote before decision 115).
    saved_person = Person.objects.create(**{fld.attname: getattr(case.person, fld.attname) for fld in Person._meta.concrete_fields
                                            if fld.attname not in SKIP | {"search_name"}}, dossier_number="D-2")
    saved_case = Case.objects.create(person=saved_person, **{fld.attname: getattr(case, fld.attname)
                                                             for fld in Case._meta.concrete_fields if fld.attname not in SKIP})
    saved_order = OrderToLeave.objects.create(case=saved_case, **{fld.attname: getattr(result.order, fld.attname)
                                                                  for fld in OrderToLeave._meta.concrete_fields
                                                                  if fld.attname not in SKIP})

    assert _row(Person.objects.filter(pk=case.person_id)) == _row(Person.objects.filter(pk=saved_person.pk))
    assert _row(Case.objects.filter(pk=case.pk)) == _row(Case.objects.filter(pk=saved_case.pk))
    assert _row(OrderToLeave.objects.filter(pk=result.order.pk)) == _row(OrderToLeave.objects.filter(pk=saved_order.pk))
    assert _row(Person.history.filter(id=case.person_id)) == _row(Person.history.filter(id=saved_person.pk))
    assert _row(Case.history.filter(id=case.pk)) == _row(Case.history.filter(id=saved_case.pk))
    assert Case.history.get(id=case.pk).history_type == "+"

    # The instances as a save leaves them: keys, links, stamps, the state the case was saved in.
    stored = Case.objects.get(pk=case.pk)
    assert not case._state.adding and not case.person._state.adding and not result.order._state.adding
    assert (case.person_id, result.order.case_id) == (stored.person_id, case.pk)
    assert (case.opened_at, case.updated_at, case.state_entered_at) == (stored.opened_at, stored.updated_at, stored.state_entered_at)
    assert case.person.search_name == Person.objects.get(pk=case.person_id).search_name
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [e.kind for e in events] == [CaseEvent.Kind.OPENED, CaseEvent.Kind.ASSIGNED]
    case.save(update_fields=["vulnerable"])  # ConcurrentTransitionMixin knows the state it was inserted in


def test_an_orders_history_rows_name_the_api_client(api_register, other_office):
    client, api = api_register
    response = api.post("/api/v1/orders/", order_payload("HIST-1", person__dossier_number="H-1"), format="json")
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert Case.history.get(id=case.pk).history_user == client.user
    assert Person.history.get(id=case.person_id).history_user == client.user


def test_the_same_reference_twice_without_the_lock_is_a_retry(other_office, monkeypatch):
    from cases.services import orders as orders_service

    services.open_case_from_order(actor=SYSTEM, data=order("TWICE", who=person(dossier_number="T-1")))
    monkeypatch.setattr(orders_service, "_advisory_lock", lambda *keys: None)
    monkeypatch.setattr(orders_service, "precompiled", lambda *args, **values: [])  # the reference's lookup misses it
    with pytest.raises(Conflict) as refused:
        services.open_case_from_order(actor=SYSTEM, data=order("TWICE", who=person(dossier_number="T-2", family_name="Other")))
    assert refused.value.code == "retry"


def _people(*, dossier_number: str, birth_date, client_id: int | None = None):
    return (Person.objects.filter(dossier_number=dossier_number, birth_date=birth_date)
            .annotate(tag=Value("x")).order_by("id"))


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_a_precompiled_query_returns_what_the_orm_returns():
    people = [f.PersonFactory(dossier_number=f"P-{i % 2}", birth_date=dt.date(1990, 1, 1 + i % 3)) for i in range(8)]
    for dossier, born in [("P-0", dt.date(1990, 1, 1)), ("P-1", dt.date(1990, 1, 2)), ("P-9", dt.date(1990, 1, 1))]:
        got = precompiled(("test.people",), _people, dossier_number=dossier, birth_date=born)
        expected = list(_people(dossier_number=dossier, birth_date=born))
        assert [_fields(p) for p in got] == [_fields(p) for p in expected]
    assert people  # the second call and later ran the SQL compiled at the first one
    cases = [f.CaseFactory() for _ in range(3)]
    got = precompiled(("test.case",), lambda pk: Case.objects.select_related("person").filter(pk=pk), pk=cases[1].pk)
    assert [(c.pk, c.person.pk, c.person.family_name) for c in got] == [(cases[1].pk, cases[1].person_id, cases[1].person.family_name)]
    got = precompiled(("test.case",), lambda pk: Case.objects.select_related("person").filter(pk=pk), pk=cases[2].pk)
    assert [c.person.pk for c in got] == [cases[2].person_id]


def test_a_value_the_orm_transforms_is_left_to_the_orm():
    f.PersonFactory(family_name="Abelard")
    f.PersonFactory(family_name="Beatrice")

    def build(part):
        return Person.objects.filter(family_name__contains=part).order_by("id")  # becomes %part%

    assert [p.family_name for p in precompiled(("test.contains",), build, part="bel")] == ["Abelard"]
    assert [p.family_name for p in precompiled(("test.contains",), build, part="ice")] == ["Beatrice"]


def test_the_lightest_counsellor_is_the_one_the_team_rule_picks(other_office):
    rng = random.Random(15)
    team = [f.staff(username=f"t{i}", office=other_office, languages=tuple(rng.sample(["nl", "fr", "ar", "en"], rng.randint(0, 2))))
            for i in range(8)]
    StaffProfile.objects.filter(user=team[0]).delete()  # no profile: speaks nothing
    for member in team:
        for _ in range(rng.randint(0, 3)):
            f.CaseFactory(office=other_office, counsellor=member, state="orientation")
    from cases.services.load import recompute_loads

    recompute_loads()
    for languages in [(), ("fr",), ("ar", "nl"), ("ti",), ("en", "fr")]:
        expected = pick_lightest(office_counsellors(other_office), languages)
        chosen = lightest_counsellor(office=other_office, languages=languages)
        assert (chosen.pk, chosen.open_cases, chosen.spoken) == (expected.pk, expected.open_cases, expected.spoken), languages


def test_a_shape_the_server_cannot_prepare_runs_as_plain_sql_inside_the_transaction():
    from django.db import connection, connections, transaction

    born = f.PersonFactory(birth_date=dt.date(1990, 1, 2))

    def build(day):  # a text parameter against a date column: a literal is coerced, a declared text is refused
        return Person.objects.extra(where=["birth_date = %s"], params=[day]).order_by("id")

    with transaction.atomic():
        assert [p.pk for p in precompiled(("test.unpreparable",), build, day="1990-01-02")] == [born.pk]
        assert [p.pk for p in precompiled(("test.unpreparable",), build, day="1990-01-03")] == []
        assert Person.objects.filter(pk=born.pk).exists()  # the transaction goes on
    if connection.vendor == "postgresql":
        entry = connections["default"].__dict__["returnpath_precompiled"][("test.unpreparable",)]
        assert entry[-1].failed
