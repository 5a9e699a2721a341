"""The set-based batch path (decision 062) gives the same rows as one order at a time.

The same orders go in both ways from the same starting point (a rolled-back savepoint between the
two runs): every resulting person, case, order, event, possible duplicate and counter is compared,
ids and timestamps aside."""

import pytest
from django.db import transaction

from cases.models import Case, CaseEvent, CounsellorLoad, OrderToLeave, Person, PossibleDuplicate
from cases.services import order_batches
from cases.services.load import load_mismatches
from tests import factories as f
from tests.cases.test_api import run_batch
from tests.cases.test_api_support import order_payload

ORDERS = "/api/v1/orders/"
NN = "90040200114"  # born 2 April 1990, like the payload's person
NN_2 = "85073000160"

pytestmark = pytest.mark.usefixtures("_clean_api_cache")
pytest_plugins = ["tests.cases.test_api_support"]


def _person(name: str, **kw) -> dict:
    return {"person__family_name": name, "person__dossier_number": f"D-{name}", **kw}


def _antwerp(**kw) -> dict:
    return {"person__address": {"street": "Meir 1", "postcode": "2000", "municipality": "Antwerpen"},
            "person__languages": ["nl"], **kw}


def _orders() -> list:
    return [
        order_payload("B-01", **_person("Alpha")),
        order_payload("B-02", **_person("Bravo"), **_antwerp()),
        order_payload("B-03", **_person("Charlie", person__given_names="Chloé")),
        order_payload("B-04", **_person("Alpha"), person__phone="+32 470 00 00 01"),  # a repeat of B-01 in this batch
        order_payload("B-05", **_person("Known")),  # a repeat of the register's own case on record
        order_payload("B-06", **_person("Theirs", person__dossier_number="")),  # the partner's person: a review
        order_payload("B-07", **_person("Delta"), departure_term_days=10),  # short term without a reason: invalid
        order_payload("B-01", **_person("Alpha")),  # the same order again: existing
        order_payload("R-KNOWN", **_person("Known"), departure_term_days=29, term_reason="x"),  # other content: conflict
        order_payload("B-08", **_person("Echo", person__national_number=NN, person__address=None)),  # no address
        order_payload("B-09", **_person("Foxtrot"), **_antwerp(person__languages=["ti"])),
        order_payload("B-10", **_person("Golf", person__national_number=NN_2, person__birth_date="1985-07-30")),
        {"external_reference": "B-11"},  # not an order at all
        order_payload("B-12", **_person("Hotel"), **_antwerp(household={"minor_children": 2, "unaccompanied_minor": False})),
        order_payload("B-13", **_person("India", person__national_number=NN)),  # the same national number as B-08
    ]


@pytest.fixture
def scene(api_register, api_partner, office, other_office, counsellor):
    """Offices with counsellors of different loads and languages, a case of each client on record."""
    f.staff(username="bxl.second", office=office, languages=("ar",))
    f.staff(username="ant.nl", office=other_office, languages=("nl",))
    f.staff(username="ant.fr", office=other_office, languages=("fr",))
    f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    _r, register = api_register
    _p, partner = api_partner
    assert register.post(ORDERS, order_payload("R-KNOWN", **_person("Known")), format="json").status_code == 201
    assert partner.post(ORDERS, order_payload("P-THEIRS", **_person("Theirs", person__dossier_number="")),
                        format="json").status_code == 201
    return register


def _ref_of(case_id: int) -> str:
    return min(OrderToLeave.objects.filter(case_id=case_id).values_list("external_reference", flat=True), default="")


def snapshot() -> dict:
    """Every row the orders write, named by content instead of ids."""
    def row(values: dict, *drop: str) -> tuple:
        return tuple(sorted((k, str(v)) for k, v in values.items() if k not in {"id", *drop}))

    people = {p["id"]: row(p, "created_at", "address_updated_at") for p in Person.objects.values()}
    cases = sorted(
        row({**c, "person": people[c["person_id"]], "orders": sorted(OrderToLeave.objects.filter(case_id=c["id"])
                                                                     .values_list("external_reference", flat=True))},
            "person_id", "state_entered_at", "updated_at", "created_at", "opened_at")
        for c in Case.objects.values()
    )
    orders = sorted(row({**o, "case": _ref_of(o["case_id"])}, "case_id", "received_at") for o in OrderToLeave.objects.values())
    events = sorted(row({**e, "case": _ref_of(e["case_id"]), "data": {k: v for k, v in e["data"].items()
                                                                       if k not in ("review", "other_case")}},
                        "case_id", "at") for e in CaseEvent.objects.values())
    duplicates = sorted((_ref_of(d.case_id), _ref_of(d.existing_case_id), d.match, d.status)
                        for d in PossibleDuplicate.objects.all())
    loads = sorted(CounsellorLoad.objects.values_list("counsellor__username", "open_cases"))
    return {"people": sorted(people.values()), "cases": cases, "orders": orders, "events": events,
            "duplicates": duplicates, "loads": loads, "histories": (Person.history.count(), Case.history.count())}


@pytest.mark.django_db
# (orders per chunk, the orders written in bulk): B-08 and B-13 share a national number, so in one
# chunk both go one by one; in separate chunks B-08 is new in its chunk and B-13 finds it on record.
@pytest.mark.parametrize(("chunk", "bulk"), [(50, {1, 2, 10, 11, 13}), (4, {1, 2, 9, 10, 11, 13})])
def test_the_batch_writes_the_same_rows_as_one_order_at_a_time(scene, settings, monkeypatch, chunk, bulk):
    settings.RETURNPATH_API_BATCH_CHUNK = chunk
    orders = _orders()
    with transaction.atomic():
        answers = [scene.post(ORDERS, order, format="json").status_code for order in orders]
        one_by_one = snapshot()
        transaction.set_rollback(True)
    assert answers == [201, 201, 201, 201, 201, 201, 400, 200, 409, 201, 201, 201, 400, 201, 201]

    in_bulk = []
    real = order_batches.open_new_cases_in_bulk
    monkeypatch.setattr(order_batches, "open_new_cases_in_bulk", lambda **kw: in_bulk.extend(i for i, _d in kw["orders"]) or real(**kw))
    body = run_batch(scene, {"orders": orders}, format="json").json()
    assert [line["status"] for line in body["results"]] == [
        "created", "created", "created", "created", "created", "created", "invalid", "existing", "conflict",
        "created", "created", "created", "invalid", "created", "created"]
    batched = snapshot()

    # New people nobody else in the batch shares a key with went in bulk; the others one by one.
    assert sorted(in_bulk) == sorted(bulk)
    for part in one_by_one:
        assert batched[part] == one_by_one[part], part
    assert load_mismatches() == {}


@pytest.mark.django_db
def test_bulk_can_be_switched_off(scene, settings, monkeypatch):
    settings.RETURNPATH_API_BATCH_BULK = False
    monkeypatch.setattr("cases.services.order_batches.open_new_cases_in_bulk", lambda **kw: pytest.fail("bulk path used"))
    body = run_batch(scene, {"orders": [order_payload("B-01", **_person("Alpha"))]}, format="json").json()
    assert body["counts"]["created"] == 1
