"""New people's orders in bulk (issue 15, point 3; decision 062).

The batch job hands over its new orders in index order. :func:`bulk_eligible` takes every
order's advisory locks in one statement and then asks, with one query per kind of identity key
(national number, dossier number, name + birth date + nationality) and one for the references,
which orders concern nobody on record and nobody else in the batch. For those, and only those,
:func:`open_new_cases_in_bulk` does what :func:`cases.services.orders.open_case_from_order` does
for a new person: the same rows, written with one INSERT per table. Every other order (a repeat,
a match on another client's person, an invalid order, a reference already known) goes through
the single path, in index order, so the results are the same as one order at a time.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from cases import followups, legal
from cases.identity import normalise_national_number
from cases.models import Case, CaseEvent, OrderToLeave, Person, fold_for_search
from cases.names import normalise_name
from cases.services.events import event_values
from cases.services.load import add_load
from cases.services.orders import (
    OrderData,
    _identity_key,
    derive_target_group,
    lock_digest,
    open_case_from_order,
    playbook_id,
    validate_order,
)
from cases.services.staffing import assignment_data, candidates, choose_office, lightest, office_counsellors
from returnpath.actors import Actor
from returnpath.copying import CopyWriter, new_ids
from returnpath.errors import Conflict, DomainError


def _national_number(data: OrderData) -> str:
    return normalise_national_number(data.person.national_number) if data.person.national_number else ""


def _keys(data: OrderData, national_number: str) -> set[tuple]:
    """Every key on which two orders could be about the same person (wider than the matching rules)."""
    person, keys = data.person, set[tuple]()
    if national_number:
        keys.add(("nn", national_number))
    if person.dossier_number:
        keys.add(("dossier", person.dossier_number))
    if person.family_name and person.birth_date and person.nationality:
        name = normalise_name(person.family_name)
        for folded in (name.upper(), name.lower(), name.casefold()):
            keys.add(("name", folded, person.birth_date, person.nationality))
    return keys


def _lock_all(keys: list[str]) -> None:
    """The single path's advisory locks for every order, in the same (sorted) order, one statement."""
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k",
                       [[lock_digest(key) for key in sorted(set(keys))]])


def bulk_eligible(*, client, orders: list[tuple[int, OrderData]]) -> set[int]:
    """The indexes of the orders that may be opened in bulk (call inside the caller's transaction:
    the locks last until it ends)."""
    candidates = []
    for index, data in orders:
        if validate_order(data):
            continue  # the single path words the refusal
        candidates.append((index, data, _national_number(data)))
    seen = Counter(key for _i, data, nn in candidates for key in _keys(data, nn))
    candidates = [(i, d, nn) for i, d, nn in candidates if all(seen[key] == 1 for key in _keys(d, nn))]
    if not candidates:
        return set()
    client_key = client.pk if client else "-"
    _lock_all([key for _i, d, nn in candidates
               for key in (f"order:{client_key}:{d.external_reference}", _identity_key(d.person, nn))])

    known = set(orders_received(client, [d.external_reference for _i, d, _n in candidates]))
    numbers = {nn for _i, _d, nn in candidates if nn}
    dossiers = {d.person.dossier_number for _i, d, _n in candidates if d.person.dossier_number}
    taken_numbers = set(Person.objects.filter(national_number__in=numbers).values_list("national_number", flat=True)) if numbers else set()
    taken_dossiers = set(Person.objects.filter(dossier_number__in=dossiers).values_list("dossier_number", flat=True)) if dossiers else set()
    taken_names = _names_on_record([d for _i, d, _n in candidates])
    eligible = set()
    for index, data, nn in candidates:
        person = data.person
        if data.external_reference in known or nn in taken_numbers or person.dossier_number in taken_dossiers:
            continue
        if person.family_name and person.birth_date and person.nationality and (
            normalise_name(person.family_name).upper(), person.birth_date, person.nationality
        ) in taken_names:
            continue
        eligible.add(index)
    return eligible


def orders_received(client, references: list[str]) -> dict[str, tuple[str, int]]:
    """{reference: (content hash, case id)} of the client's orders already received among ``references``.

    On PostgreSQL one index probe per reference (decision 119): as ``external_reference IN (…)``
    the planner, misled by statistics that predate a client's orders (every order of a new
    client, until the table is analysed again), scanned every order of the client and
    filtered them — 35–100 ms per chunk, growing with each order the client sends."""
    if not references:
        return {}
    if connection.vendor != "postgresql":
        return {reference: (content_hash, case_id) for reference, content_hash, case_id in OrderToLeave.objects
                .filter(client=client, external_reference__in=references).values_list("external_reference", "content_hash", "case_id")}
    same_client = "t.client_id = %s" if client else "t.client_id IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.external_reference, o.content_hash, o.case_id FROM unnest(%s::text[]) AS r(reference) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT t.external_reference, t.content_hash, t.case_id FROM {OrderToLeave._meta.db_table} t "
            f"WHERE {same_client} AND t.external_reference = r.reference LIMIT 1) AS o",
            [list(references), *([client.pk] if client else [])],
        )
        return {reference: (content_hash, case_id) for reference, content_hash, case_id in cursor.fetchall()}


def _names_on_record(orders: list[OrderData]) -> set[tuple]:
    """(UPPER(family name), birth date, nationality) of the people on record sharing one with an order:
    one query, compared by PostgreSQL's UPPER as the single path's ``iexact`` is."""
    wanted = {(normalise_name(d.person.family_name), d.person.birth_date, d.person.nationality)
              for d in orders if d.person.family_name and d.person.birth_date and d.person.nationality}
    if not wanted:
        return set()
    if connection.vendor != "postgresql":  # SQLite (the demo): one question per name
        return {(f.upper(), b, n) for f, b, n in wanted
                if Person.objects.filter(Q(family_name__iexact=f), birth_date=b, nationality=n).exists()}
    rows = list(wanted)
    values = ", ".join(["(UPPER(%s), %s::date, %s)"] * len(rows))
    with connection.cursor() as cursor:  # a join on the (UPPER(family_name), birth_date, nationality) index
        cursor.execute(
            f"SELECT DISTINCT UPPER(p.family_name), p.birth_date, p.nationality FROM {Person._meta.db_table} p "  # noqa: S608
            f"JOIN (VALUES {values}) AS v(family_name, birth_date, nationality) ON UPPER(p.family_name) = v.family_name "
            "AND p.birth_date = v.birth_date AND p.nationality = v.nationality",
            [value for row in rows for value in row],
        )
        found = set(cursor.fetchall())
    # Python's upper() and PostgreSQL's agree on the letters of names; where they would not, the
    # order is compared under both spellings and goes the single way.
    return found | {(f.upper(), b, n) for f, b, n in wanted if (f.upper(), b, n) not in found
                    and any(row[1:] == (b, n) and row[0].casefold() == f.casefold() for row in found)}


@transaction.atomic
def open_new_cases_in_bulk(*, actor: Actor, client, orders: list[tuple[int, OrderData]]) -> dict[int, int]:
    """A new person, case, order and events for each order (all from :func:`bulk_eligible`), as
    the single path writes them; counsellors chosen as one order at a time would, from the load
    counters. On PostgreSQL each table is written with one COPY (decision 112), ids taken from
    the tables' sequences first. Returns {index: case id}."""
    if not orders:
        return {}
    region = client.issuing_region if client else ""
    people: list[dict[str, Any]] = []
    for _index, data in orders:
        p = data.person
        family_name, given_names = normalise_name(p.family_name), normalise_name(p.given_names)
        people.append({
            "family_name": family_name, "given_names": given_names, "birth_date": p.birth_date, "sex": p.sex or Person.Sex.OTHER,
            "nationality": p.nationality, "national_number": _national_number(data), "dossier_number": p.dossier_number,
            "languages": list(dict.fromkeys(p.languages)), "street": p.street, "postcode": p.postcode,
            "municipality": p.municipality, "phone": p.phone, "email": p.email,
            "search_name": fold_for_search(f"{given_names} {family_name}"),
        })
    person_ids = _insert_with_history(Person, people)

    teams: dict[int, list] = {}
    choices: dict[tuple, list] = {}  # (office, languages): who may be chosen (staffing.candidates)
    loads: Counter[int] = Counter()
    cases, assignments = [], []
    for (_index, data), person, person_id in zip(orders, people, person_ids, strict=True):
        office = choose_office(postcode=Person.known_postcode(data.person.postcode), issuing_region=region)
        counsellor = None
        if office is not None:
            if office.pk not in teams:
                teams[office.pk] = office_counsellors(office)
            key = (office.pk, *person["languages"])
            if key not in choices:
                choices[key] = candidates(teams[office.pk], person["languages"])
            counsellor = lightest(choices[key])  # as pick_lightest, with this batch's cases counted
            if counsellor is not None:
                counsellor.open_cases += 1  # the next order of this batch sees this case
                loads[counsellor.pk] += 1
        assignments.append((office, counsellor))
        target_group = derive_target_group(data)
        cases.append({
            "person_id": person_id, "target_group": target_group, "playbook_id": playbook_id(target_group),
            "office_id": office.pk if office else None, "counsellor_id": counsellor.pk if counsellor else None,
            "public_order": data.public_order, "nuisance": data.nuisance, "vulnerable": data.vulnerable,
            "minor_children": data.minor_children, "unaccompanied_minor": data.unaccompanied_minor,
            "departure_deadline": _deadline(data),
            "early_escalation_ground": "short_term" if legal.is_short_term(data.departure_term_days) else "",
            "first_notified_on": data.notified_on,  # as the single path (dashboards, decision 065)
        })
    case_ids = _insert_with_history(Case, cases)

    client_id = client.pk if client else None
    _insert(OrderToLeave, [
        {"case_id": case_id, "client_id": client_id, "external_reference": data.external_reference, "issued_on": data.issued_on,
         "notified_on": data.notified_on, "departure_term_days": data.departure_term_days, "term_reason": data.term_reason,
         "legal_basis": data.legal_basis, "entry_ban_years": data.entry_ban_years,
         "departure_deadline": case["departure_deadline"], "content_hash": data.content_hash()}
        for (_index, data), case, case_id in zip(orders, cases, case_ids, strict=True)
    ])

    events = []
    opened = Case._meta.get_field("state").get_default()  # a new case's state
    for (_index, data), case, case_id, (office, counsellor) in zip(orders, cases, case_ids, assignments, strict=True):
        events.append({"case_id": case_id, **event_values(
            actor=actor, kind=CaseEvent.Kind.OPENED, to_state=opened,
            data={"order": data.external_reference, "departure_deadline": case["departure_deadline"].isoformat()})})
        if office is not None:
            events.append({"case_id": case_id, **event_values(actor=actor, kind=CaseEvent.Kind.ASSIGNED,
                                                              data=assignment_data(office, counsellor))})
    _insert(CaseEvent, events)
    add_load(loads)

    # One step for the lot: it stands for each case's CaseOpened and its first CaseAssigned
    # (which asks nothing of anyone: nothing is planned for a new case yet).
    followups.run(followups.CasesOpened(case_ids=case_ids, actor=actor))
    return {index: case_id for (index, _data), case_id in zip(orders, case_ids, strict=True)}


def _insert(model, rows: list[dict], *, ids: bool = False, history: bool = False) -> list[int]:
    """Write the rows (column values by field attname, every other column its field's default);
    with ``ids``, return their primary keys in order. One COPY on PostgreSQL (decision 112),
    ``bulk_create`` elsewhere; with ``history``, each row's first history record (decision 023)."""
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        if history:
            objs = bulk_create_with_history(objs, model, batch_size=1000)
        else:
            objs = model.objects.bulk_create(objs, batch_size=1000)
        return [obj.pk for obj in objs]
    keys = new_ids(model, len(rows)) if ids or history else []
    writer = CopyWriter(model, now=timezone.now(), generated_id=not keys)
    if keys:
        for key, row in zip(keys, rows, strict=True):
            writer.add({**row, "id": key})
    else:
        for row in rows:
            writer.add(row)
    writer.flush()
    if history:
        _copy_history(model, keys)
    return keys


def _insert_with_history(model, rows: list[dict]) -> list[int]:
    return _insert(model, rows, ids=True, history=True)


def _copy_history(model, ids: list[int]) -> None:
    """The rows' first history records (decision 023), as a save would write them, copied by the
    database in one INSERT … SELECT."""
    history = model.history.model
    own = {f.column for f in model._meta.concrete_fields}
    columns, values = [], []
    for f in history._meta.concrete_fields:
        if f.column == "history_id":
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in own:
            values.append(connection.ops.quote_name(f.column))
        elif f.column == "history_date":
            values.append("%s")
        elif f.column == "history_type":
            values.append("'+'")
        else:  # history_user_id, history_change_reason: a job has neither
            values.append("NULL")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {history._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - names from the models
            f"SELECT {', '.join(values)} FROM {model._meta.db_table} WHERE id = ANY(%s)",
            [timezone.now(), ids],
        )


def _deadline(data: OrderData):
    return legal.departure_deadline(notified_on=data.notified_on, term_days=data.departure_term_days, term_reason=data.term_reason)


# --- settling a chunk of a batch job (the job itself: cases.api.batch) ---------------------------------
def settle_orders(*, actor: Actor, client, orders: list[tuple[int, OrderData]]) -> tuple[dict[int, dict], list]:
    """The answer of each valid (index, order) of a chunk; orders to retry alone come back in the
    second list. References already received answer ``existing`` (or ``conflict`` with other
    content); new people's orders are opened in bulk, the others one by one through the single
    path, in index order; the same reference twice in a chunk follows its first."""
    results: dict[int, dict] = {}
    valid = orders
    known = orders_received(client, [d.external_reference for _i, d in valid])

    def settle(index, data, content_hash, case_id, status):
        line = {"index": index, "external_reference": data.external_reference}
        if content_hash != data.content_hash():
            results[index] = {**line, "status": "conflict", "errors": [{
                "code": "reference_conflict", "attr": "external_reference", "pointer": "/external_reference",
                "detail": _("An order with this reference was already received with different content.")}]}
        else:
            results[index] = {**line, "status": status, "case_id": case_id}

    new, repeats, first_of = [], [], {}
    for index, data in valid:
        reference = data.external_reference
        if reference in known:
            content_hash, case_id = known[reference]
            settle(index, data, content_hash, case_id, "existing")
        elif reference in first_of:
            repeats.append((index, data))  # the same reference twice in this chunk: after the first
        else:
            first_of[reference] = (index, data)
            new.append((index, data))

    retry = []
    for run, in_bulk in _runs(actor, client, new):
        if in_bulk:
            try:
                opened = open_new_cases_in_bulk(actor=actor, client=client, orders=run)
            except DatabaseError:  # e.g. deadlocked against a concurrent request: one by one, later
                retry += run
                continue
            for index, data in run:
                results[index] = {"index": index, "external_reference": data.external_reference, "status": "created",
                                  "case_id": opened[index]}
            continue
        for index, data in run:
            done, line = open_one(actor=actor, client=client, index=index, data=data)
            if done:
                assert line is not None  # open_one answers a line whenever it is done
                results[index] = line
            else:
                retry.append((index, data))

    for index, data in repeats:
        first_index, first_data = first_of[data.external_reference]
        first = results.get(first_index)
        if first is None:
            retry.append((index, data))
        elif first["status"] in ("created", "existing"):
            settle(index, data, first_data.content_hash(), first["case_id"], "existing")
        else:
            results[index] = {**first, "index": index}
    return results, retry


def _runs(actor: Actor, client, orders: list) -> list[tuple[list, bool]]:
    """The orders in index order, cut into runs opened in bulk (new people, decision 062) and runs
    taken one by one through the single path; the order of the runs keeps the results the same."""
    if not settings.RETURNPATH_API_BATCH_BULK:
        return [(orders, False)] if orders else []
    eligible = bulk_eligible(client=client, orders=orders)
    runs: list[tuple[list, bool]] = []
    for index, data in orders:
        in_bulk = index in eligible
        if runs and runs[-1][1] == in_bulk:
            runs[-1][0].append((index, data))
        else:
            runs.append(([(index, data)], in_bulk))
    return runs


def open_one(*, actor: Actor, client, index: int, data: OrderData, final: bool = False) -> tuple[bool, dict | None]:
    line = {"index": index, "external_reference": data.external_reference}
    try:
        result = open_case_from_order(actor=actor, data=data, client=client)
    except Conflict as exc:
        if exc.code == "retry" and not final:
            return False, None
        code = "reference_conflict" if exc.code == "reference_conflict" else exc.code
        return True, {**line, "status": "conflict" if code == "reference_conflict" else "error",
                      "errors": [{"code": code, "detail": exc.message, "attr": "external_reference", "pointer": "/external_reference"}]}
    except DomainError as exc:
        return True, {**line, "status": "invalid",
                      "errors": [{"code": exc.code, "detail": d, "attr": None, "pointer": ""} for d in exc.details or [exc.message]]}
    except DatabaseError:
        if not final:
            return False, None
        return True, {**line, "status": "error", "errors": [
            {"code": "retry", "attr": None, "pointer": "", "detail": _("This order could not be recorded now; send it again.")}]}
    return True, {**line, "status": "created" if result.created else "existing", "case_id": result.case.pk}
