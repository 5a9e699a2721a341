"""Everything held about one person (GDPR art. 15; decision 026), found by following every
relation that points at the person or their cases — so a table added later is included without
anyone remembering to add it here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from cases.models import Case, Person

# Internal bookkeeping that says nothing about the person.
_SKIP_FIELDS = {"claim_token", "content_hash", "search_name"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)  # Decimal, UUID, Country, …


def _row(obj: models.Model) -> dict[str, Any]:
    row = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIP_FIELDS:
            continue
        value = getattr(obj, field.attname)
        row[field.name] = _plain(value)
    return row


def _related(obj: models.Model, depth: int) -> dict[str, list]:
    found: dict[str, list] = {}
    # include_hidden: relations named "+" (the access log, the duplicate reviews' other side) too.
    for relation in obj._meta.get_fields(include_hidden=True):
        # Auto-created and one-to-many: the reverse side of a foreign key (a ForeignObjectRel).
        if not (isinstance(relation, models.ForeignObjectRel) and relation.auto_created and relation.one_to_many) or (
            relation.related_model in (Case, Person)
        ):
            continue
        rows = []
        for child in relation.related_model._base_manager.filter(**{relation.field.name: obj}).order_by("pk"):
            row = _row(child)
            if depth > 0:
                row.update({k: v for k, v in _related(child, depth - 1).items() if v})
            rows.append(row)
        name = relation.get_accessor_name() if not relation.hidden else None
        key = name or f"{relation.related_model._meta.label_lower}.{relation.field.name}"
        found[key] = found.get(key, []) + rows
    history = getattr(type(obj), "history", None)  # django-simple-history (decision 023): no relation to walk
    if history is not None:
        found["history"] = [_row(record) for record in history.filter(id=obj.pk).order_by("history_date", "history_id")]
    return found


def subject_access_report(person: Person) -> dict[str, Any]:
    """The person, each of their cases and everything that hangs off them (two levels deep)."""
    return {
        "person": _row(person),
        "person_related": {k: v for k, v in _related(person, 0).items() if v},  # the person's history
        "cases": [{**_row(case), **{k: v for k, v in _related(case, 1).items() if v}}
                  for case in Case.objects.filter(person=person).order_by("pk")],
    }
