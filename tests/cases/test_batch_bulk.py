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
    # The first history records: the bulk path copies them from the rows it wrote with COPY
    # (decision 112), the single path's saves write them; the values must be the same.
    history_skip = ("history_id", "history_date", "history_user_id", "created_at", "updated_at", "state_entered_at",
                    "opened_at", "address_updated_at")
    person_history = sorted(row(h, *history_skip) for h in Person.history.values())
    case_history = sorted(row({**h, "person": people.get(h["person_id"])}, "person_id", *history_skip) for h in Case.history.values())
    return {"people": sorted(people.values()), "cases": cases, "orders": orders, "events": events,
            "duplicates": duplicates, "loads": loads, "histories": (Person.history.count(), Case.history.count()),
            "person_history": person_history, "case_history": case_history}


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


def _new_people(n: int, start: int = 0) -> list:
    return [order_payload(f"N-{i:03}", **_person(f"New{i:03}", person__phone="", person__given_names="Zoë A\\B"),
                          legal_basis="art. 7,\t1°\nline 2")
            for i in range(start, start + n)]


@pytest.mark.postgres  # the set-based statements are PostgreSQL's; elsewhere the ORM's saves
@pytest.mark.django_db
def test_a_chunk_of_new_people_costs_the_same_queries_however_many_orders_it_holds(scene, settings):
    """The bulk path writes each table once (COPY on PostgreSQL): 3 new people or 30, one chunk,
    the same statements; the status read too (the cases' columns, their offices and counsellors)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.api.batch import process_order_batch

    settings.RETURNPATH_API_BATCH_CHUNK = 100
    counts = []
    for n, start in ((3, 0), (30, 100)):
        accepted = scene.post("/api/v1/orders/batch/", {"orders": _new_people(n, start)}, format="json")
        assert accepted.status_code == 202
        with CaptureQueriesContext(connection) as processing:
            process_order_batch(batch_id=accepted.json()["id"])
        with CaptureQueriesContext(connection) as reading:
            body = scene.get(accepted["Location"]).json()
        assert body["counts"]["created"] == n, body["results"][0]
        assert all(line["case"]["office"] and line["case"]["counsellor"] for line in body["results"])
        counts.append((len(processing), len(reading)))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_names_with_tabs_and_backslashes_survive_the_copy(scene):
    """COPY's text format escapes: what the bulk path stores is what the single path stores."""
    body = run_batch(scene, {"orders": _new_people(2)}, format="json").json()
    assert body["counts"]["created"] == 2
    assert set(Person.objects.filter(family_name__startswith="New").values_list("given_names", flat=True)) == {"Zoë A\\B"}
    case = Case.objects.get(pk=body["results"][0]["case"]["id"])
    assert case.history.count() == 1 and case.person.history.get().given_names == "Zoë A\\B"
    assert case.orders.get().legal_basis == "art. 7,\t1°\nline 2"


@pytest.mark.django_db
def test_a_batch_stores_any_json_value_as_sent(scene):
    """Items are written with COPY: a string, a number, true, null or a list as an order is kept as
    that JSON value and answered invalid, like one order at a time."""
    from cases.api.models import OrderBatchItem

    sent = ["not an object", 5, True, None, [1, "x"], {"external_reference": "é\t\\"}]
    accepted = scene.post("/api/v1/orders/batch/", {"orders": sent}, format="json")
    assert accepted.status_code == 202
    stored = list(OrderBatchItem.objects.filter(batch_id=accepted.json()["id"]).order_by("index").values_list("payload", flat=True))
    assert stored == sent
    assert [line["external_reference"] for line in accepted.json()["results"]] == [None, None, None, None, None, "é\t\\"]


@pytest.mark.django_db
def test_orders_received_are_the_clients_own_by_exact_reference(api_register, api_partner):
    """A chunk's known references (decision 119): the client's own orders only, compared whole."""
    register, partner = api_register[0], api_partner[0]
    mine = f.OrderFactory(client=register, external_reference="R-1", content_hash="h1")
    f.OrderFactory(client=partner, external_reference="R-2")
    manual = f.OrderFactory(client=None, external_reference="R-3", content_hash="h3")
    asked = ["R-1", "R-2", "R-3", "r-1", "R-4"]
    assert order_batches.orders_received(register, asked) == {"R-1": ("h1", mine.case_id)}
    assert order_batches.orders_received(None, asked) == {"R-3": ("h3", manual.case_id)}
    assert order_batches.orders_received(register, []) == {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_orders_received_probe_the_unique_index_whatever_the_statistics(api_register):
    """The client's orders are many and the table's statistics know none of them (a new client
    before the next ANALYZE): each reference is still one probe of (client, reference), not a scan
    of every order of the client filtered by the list (35–100 ms a chunk at 1M, decision 119)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register = api_register[0]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OrderToLeave._meta.db_table}")  # statistics with no order of this client
    case = f.CaseFactory()
    day = case.opened_at.date()
    OrderToLeave.objects.bulk_create([
        OrderToLeave(case=case, client=register, external_reference=f"MANY-{i}", issued_on=day, notified_on=day,
                     departure_term_days=30, departure_deadline=day) for i in range(2000)])
    asked = ["MANY-7", "MANY-1999", *(f"NEW-{i}" for i in range(500))]  # a chunk's worth
    with CaptureQueriesContext(connection) as captured:
        assert set(order_batches.orders_received(register, asked)) == {"MANY-7", "MANY-1999"}
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query['sql']}")
        plan = cursor.fetchone()[0][0]["Plan"]

    def scans(node):
        if "Relation Name" in node:
            yield node
        for child in node.get("Plans", []):
            yield from scans(child)

    (scan,) = [node for node in scans(plan) if node["Relation Name"] == OrderToLeave._meta.db_table]
    assert "external_reference" in scan.get("Index Cond", ""), scan
    assert scan.get("Rows Removed by Filter", 0) == 0, scan
