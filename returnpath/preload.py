"""Many small reads of one page in one round trip (decision 071).

A page that shows one case reads a dozen small lists of its rows (orders, procedures, detention,
the return work...), each through its own selector. :func:`preload` evaluates a list of such
querysets in **one** statement on PostgreSQL — each as a ``json_agg`` subselect — and keeps the
instances on a holder object (the case of the request). A selector then asks for its rows with
:func:`rows` (or :func:`first`): when the holder holds the result of exactly that queryset (same
SQL, same parameters) it is served from there, otherwise the queryset runs as usual. So a
selector stays correct on every other page, and the preloaded rows are by construction what its
own query would have returned.

The instances are built the way Django builds them (``from_db``, ``select_related``'s
populators, the related manager's known objects, the fields' converters), from the JSON text
PostgreSQL returns. Elsewhere (SQLite in development) nothing is preloaded and each read runs on
its own.
"""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol, cast

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators, prefetch_related_objects
from django.utils.dateparse import parse_date, parse_datetime, parse_duration, parse_time

_ATTRIBUTE = "_returnpath_preloaded"


class _QuerySetInternals(Protocol):
    """What ``ModelIterable`` reads of a queryset beyond its public API (not in django-stubs)."""

    _known_related_objects: dict[Any, dict[Any, Any]]
    _prefetch_related_lookups: tuple[Any, ...]


def _key(queryset: QuerySet, compiled: tuple[str, Any] | None = None) -> str:
    """The queryset's SQL and parameters (``compiled`` when the caller has them: compiling costs
    a page a millisecond a queryset)."""
    sql, params = compiled or queryset.query.sql_with_params()
    return f"{queryset.model._meta.label}|{queryset.db}|{sql}|{params!r}"


def first_of(queryset: QuerySet) -> QuerySet:
    """The queryset ``QuerySet.first()`` runs (ordered by pk when unordered, one row)."""
    return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]


def rows(holder: Any, queryset: QuerySet) -> list:
    """The queryset's instances: from the holder's preloaded rows when it holds them, else a query."""
    store = getattr(holder, _ATTRIBUTE, None)
    if store:
        found = store.get(_key(queryset))
        if found is not None:
            return list(found)
    return list(queryset)


def first(holder: Any, queryset: QuerySet):
    """``queryset.first()``, served from the holder's preloaded rows when it holds them."""
    found = rows(holder, first_of(queryset))
    return found[0] if found else None


def preload(holder: Any, querysets: Iterable[QuerySet | None]) -> None:
    """Evaluate ``querysets`` in one round trip and keep their instances on ``holder`` (a None in
    the list, a list the caller does not have, is passed over)."""
    readable = [qs for qs in querysets if qs is not None and qs._iterable_class is ModelIterable]
    if not readable:
        return
    connection = connections[readable[0].db]
    if connection.vendor != "postgresql" or any(qs.db != readable[0].db for qs in readable):
        return
    parts, params, compilers, keys = [], [], [], []
    for queryset in readable:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, sql_params = compiler.as_sql()
        keys.append(_key(queryset, (sql, sql_params)))
        # The subquery's ORDER BY holds: json_agg reads a sorted subquery in order (no join here).
        parts.append(f"(SELECT coalesce(json_agg(t), '[]'::json)::text FROM ({sql}) t)")  # noqa: S608 - Django's own SQL
        params.extend(sql_params)
        compilers.append(compiler)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        texts = cursor.fetchone()
    store = holder.__dict__.setdefault(_ATTRIBUTE, {})
    for queryset, compiler, key, text in zip(readable, compilers, keys, texts, strict=True):
        store[key] = _instances(queryset, compiler, json.loads(text, object_pairs_hook=_Row, parse_float=Decimal))


class _Row(list):
    """A JSON object as its (key, value) pairs: a row's columns may share a name (select_related)."""


def _plain(value):
    if isinstance(value, _Row):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)  # only numbers with a fraction or exponent are parsed as Decimal
    return value


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": parse_datetime, "DateField": parse_date, "TimeField": parse_time, "DurationField": parse_duration,
    "UUIDField": uuid.UUID, "FloatField": float, "DecimalField": Decimal,
}


def _driver_value(field, value):
    """What psycopg2 would have returned for the column, from its JSON rendering."""
    if value is None:
        return None
    kind = field.get_internal_type()
    if kind == "JSONField":
        return json.dumps(_plain(value))  # the field's converter parses it, as it does the driver's text
    if kind == "ArrayField":
        return [_driver_value(field.base_field, v) for v in value]
    parse = _PARSERS.get(kind)
    return parse(value if kind != "DecimalField" else str(value)) if parse else value


def _instances(queryset: QuerySet, compiler, data: list) -> list:
    """Build the instances as ``ModelIterable`` does, from rows decoded from JSON."""
    db = queryset.db
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    fields = [expression.output_field for expression, _sql, _alias in select[: compiler.col_count]]
    results = [[[_driver_value(f, v) for f, (_name, v) in zip(fields, row, strict=False)] for row in data]]
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    related_populators = get_related_populators(klass_info, select, db)  # type: ignore[call-arg]  # Django 5.2 has no fetch_mode (django-stubs 6)
    known = [
        (field, objs, operator.attrgetter(*[
            field.attname if from_field == "self" else queryset.model._meta.get_field(from_field).attname
            for from_field in field.from_fields
        ]))
        for field, objs in cast(_QuerySetInternals, queryset)._known_related_objects.items()
    ]
    instances = []
    for row in compiler.results_iter(results):
        obj = model_cls.from_db(db, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attr_name, col_pos in (annotation_col_map or {}).items():
            setattr(obj, attr_name, row[col_pos])
        for field, objs, getter in known:
            if not field.is_cached(obj) and getter(obj) in objs:
                setattr(obj, field.name, objs[getter(obj)])
        instances.append(obj)
    lookups = cast(_QuerySetInternals, queryset)._prefetch_related_lookups
    if lookups:
        prefetch_related_objects(instances, *lookups)
    return instances


def attach(instance, related_name: str, objects: list) -> None:
    """Make ``instance.<related_name>.all()`` answer ``objects`` without a query, as
    ``prefetch_related`` does (for rows read with the instance's own)."""
    queryset = getattr(instance, related_name).get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[related_name] = queryset
