"""A new case's rows in one statement (issue 15 point 2, decision 115).

An order that opens a case writes a person (unless an own person without an open case is
known), the case, their first history records (decision 023), the order, the case's first
events and its counsellor's load counter (decision 060). Saved one by one that is eight
statements, each compiled by the ORM and planned by PostgreSQL on every order; here it is one
data-modifying ``WITH``, its text built once per process from the models and prepared once per
session (:class:`returnpath.precompiled.Prepared`).
The values are what the saves would write (each field's ``pre_save`` and ``get_db_prep_save``,
:mod:`returnpath.bulk`), each history record is the inserted row with
the history columns a save's ``post_save`` would give it (:func:`cases.history.first_record`),
and the instances come back as a save leaves them. The tables' statement triggers (the tallies,
the people counts) run after the whole statement, so they see every row of it. Elsewhere than on
PostgreSQL, the saves.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import IntegrityError, connection, models

from cases.history import first_record
from cases.models import Case, CaseEvent, CounsellorLoad, OrderToLeave, Person
from cases.services.load import counter_upsert, load_key, shift_load
from returnpath.bulk import base_type, insert_fields, insert_values
from returnpath.precompiled import Prepared

# The order's own unique constraints: a clash on them is another request recording the same order.
ORDER_REFERENCE_CONSTRAINTS = frozenset(c.name for c in OrderToLeave._meta.constraints if isinstance(c, models.UniqueConstraint))


def is_order_reference_clash(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return getattr(diag, "constraint_name", None) in ORDER_REFERENCE_CONSTRAINTS
    # SQLite (the demo) names the columns: "UNIQUE constraint failed: <table>.client_id, <table>.external_reference"
    return str(exc).startswith("UNIQUE constraint failed:") and f"{OrderToLeave._meta.db_table}.external_reference" in str(exc)


def _q(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def _insert(model: type[models.Model], source: str | None, links: dict[str, str], returning: str, types: list[str]) -> str:
    """``INSERT`` of one row of ``model``: a placeholder per field (its type appended to
    ``types``), but ``links`` (attname: the column of ``source`` it takes, e.g. the person's id)."""
    columns = [_q(f.column) for f in insert_fields(model)]
    types += [base_type(f) for f in insert_fields(model) if f.attname not in links]
    values = [f"{source}.{links[f.attname]}" if f.attname in links else f"%s::{base_type(f)}" for f in insert_fields(model)]
    source_clause = f" FROM {source}" if source else ""
    sql = f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(values)}"
    return f"{sql}{source_clause} RETURNING {returning}"


def _history(model: type[models.Model], source: str, types: list[str]) -> tuple[str, list[str]]:
    """``INSERT`` of the first history record of the row ``source`` returned: its own columns from
    the row, the history columns (their attnames returned, in order) as placeholders."""
    history = model.history.model  # type: ignore[attr-defined]  # registered by cases.history
    own = {f.column for f in model._meta.concrete_fields}
    columns, values, extra = [], [], []
    for f in history._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(_q(f.column))
        if f.column in own:
            values.append(f"{source}.{_q(f.column)}")
        else:
            values.append(f"%s::{base_type(f)}")
            types.append(base_type(f))
            extra.append(f.attname)
    sql = f"INSERT INTO {_q(history._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    return sql, extra


@functools.cache
def _statement(*, new_person: bool, history: bool) -> tuple[str, list[str], list[str], Prepared]:
    """(the statement, the person's history placeholders, the case's, the statement prepared)."""
    parts = []
    types: list[str] = []
    person_history: list[str] = []
    case_history: list[str] = []
    if new_person:
        parts.append(f"p AS ({_insert(Person, None, {}, '*', types)})")
        if history:
            sql, person_history = _history(Person, "p", types)
            parts.append(f"hp AS ({sql})")
        parts.append(f"c AS ({_insert(Case, 'p', {'person_id': 'id'}, '*', types)})")
    else:
        parts.append(f"c AS ({_insert(Case, None, {}, '*', types)})")
    if history:
        sql, case_history = _history(Case, "c", types)
        parts.append(f"hc AS ({sql})")
    parts.append(f"o AS ({_insert(OrderToLeave, 'c', {'case_id': 'id'}, 'id', types)})")
    fields = [f for f in insert_fields(CaseEvent) if f.attname != "case_id"]
    types += [f"{base_type(f)}[]" for f in fields]
    events = f"INSERT INTO {_q(CaseEvent._meta.db_table)} ({_q('case_id')}, {', '.join(_q(f.column) for f in fields)})"
    arrays = ", ".join(f"%s::{base_type(f)}[]" for f in fields)
    parts.append(f"e AS ({events} SELECT c.id, u.* FROM c, unnest({arrays}) AS u RETURNING id)")  # noqa: S608 - names from the models
    # The case counts for its counsellor (decision 060's counter; the key: cases.services.load.load_key).
    key = base_type(CounsellorLoad._meta.get_field("counsellor"))
    types.append(key)
    counted = f"SELECT k, 1 FROM (SELECT %s::{key} AS k) AS load_key WHERE k IS NOT NULL"  # noqa: S608 - a type name
    parts.append(f"l AS ({counter_upsert(counted)})")
    sql = f"WITH {', '.join(parts)} SELECT c.person_id, c.id, o.id, ARRAY(SELECT id FROM e ORDER BY id) FROM c, o"  # noqa: S608
    return sql, person_history, case_history, Prepared(f"returnpath_new_case_{int(new_person)}{int(history)}", sql, types)


def write_new_case(*, person: Person, case: Case, order: OrderToLeave, events: Sequence[CaseEvent]) -> None:
    """Insert ``case`` (and ``person`` when it is not saved yet), their first history records,
    ``order`` and ``events``, and give them their keys, as their saves would; count the case for
    its counsellor (:func:`cases.services.load.shift_load`)."""
    new_person = person._state.adding
    if connection.vendor != "postgresql":
        if new_person:
            person.save(force_insert=True)
        case.person = person
        case.save(force_insert=True)
        order.case = case
        order.save(force_insert=True)
        for event in events:
            event.case = case
        CaseEvent.objects.bulk_create(events)
        shift_load(None, load_key(case))
        return
    person_record = None
    params: list = []
    if new_person:
        person.normalise_names()
        params += insert_values(person)
        person_record = first_record(person)
        if person_record is not None:
            params += [person_record[name] for name in _statement(new_person=True, history=True)[1]]
    else:
        case.person = person
    params += [value for f, value in zip(insert_fields(Case), insert_values(case), strict=True)
               if not (new_person and f.attname == "person_id")]
    case_record = first_record(case)
    history = case_record is not None
    sql, _person_names, case_names, prepared = _statement(new_person=new_person, history=history)
    if case_record is not None:
        params += [case_record[name] for name in case_names]
    params += [value for f, value in zip(insert_fields(OrderToLeave), insert_values(order), strict=True) if f.attname != "case_id"]
    fields = insert_fields(CaseEvent)
    rows = [insert_values(event) for event in events]
    params += [[row[i] for row in rows] for i, f in enumerate(fields) if f.attname != "case_id"]
    params.append(load_key(case))
    with connection.cursor() as cursor:
        prepared.run(cursor, sql, params)  # planned once per session, with persistent connections
        person_id, case_id, order_id, event_ids = cursor.fetchone()

    for obj, pk in ((person, person_id), (case, case_id), (order, order_id), *zip(events, event_ids, strict=True)):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    case.person_id = person.pk  # the same person, still cached on the case
    order.case = case
    for event in events:
        event.case = case
    case._update_initial_state()  # as ConcurrentTransitionMixin.save: the state it was saved in
