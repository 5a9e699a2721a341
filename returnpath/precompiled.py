"""Querysets compiled to SQL once per process (issue 15 point 2, decision 115).

The ORM builds and compiles a queryset at every request: for the few small queries of one order
that is most of their cost, more than the database's. :func:`precompiled` builds a queryset of
a given *shape* once, with a stand-in for each value that changes, compiles it, and remembers
where the stand-ins landed among the statement's parameters; later calls of that shape run the
same SQL with the values of the call in those places, and read the rows back through the
queryset's own iterable (model instances, ``select_related``, annotations, ``values_list``,
the fields' converters) — the same rows and objects as the queryset run by the ORM.

What changes the SQL (a ``None`` that becomes ``IS NULL``, a filter that is there or not) must be
part of the shape's key; a value the ORM would transform before it becomes a parameter (a
``contains`` lookup's ``%…%``) is found nowhere, and that shape is then run by the ORM each
time, as before.

On PostgreSQL with persistent connections each shape is also prepared on the server, once per
session (``PREPARE``, its parameters typed from the values it was compiled with; the sessions are
never pooled per transaction: decision 031), and run with ``EXECUTE``: PostgreSQL then plans it
once too. The ``PREPARE`` runs on the driver's own cursor, inside a savepoint in a transaction:
a shape the server refuses runs as plain SQL and the transaction goes on.

Always on the primary database (``default``): the order path reads what it has just written. Each
thread's connection keeps its own compiled shapes (a compiler belongs to its connection).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.sql.constants import MULTI

_UNUSABLE = object()


def _stand_in(name: str, index: int, value: Any) -> Any:
    """A value of the same kind as ``value`` that no real parameter is."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{name}: a boolean or None changes the SQL; make it part of the shape")
    if isinstance(value, str):
        return f"\x00precompiled:{name}\x00"
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [f"\x00precompiled:{name}\x00"]  # an array parameter (jsonb ?|, = ANY)
    if isinstance(value, int):
        return 2_000_000_000 + index  # in range of an integer column (larger ones are refused by the ORM)
    if isinstance(value, dt.datetime):
        return dt.datetime(1, 1, 1, 0, 0, index, tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.date(1, 1, index + 1)
    raise TypeError(f"{name}: no stand-in for {type(value).__name__}")


_PG_TYPES = ((bool, "boolean"), (int, "bigint"), (str, "text"), (dt.datetime, "timestamptz"), (dt.date, "date"))


def _pg_type(value: Any) -> str | None:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return "text[]"
    return next((name for kind, name in _PG_TYPES if isinstance(value, kind)), None)


class Prepared:
    """A statement prepared on the server once per session (PostgreSQL then plans it once per
    session too, not at every call), its parameters of the given types; ``sql`` as for
    ``cursor.execute`` (``%s`` placeholders)."""

    def __init__(self, name: str, sql: str, types: list[str]) -> None:
        numbers = iter(range(1, len(types) + 1))
        body = re.sub(r"%[s%]", lambda m: f"${next(numbers)}" if m.group() == "%s" else "%", sql)
        self.name = name
        self.statement = f"PREPARE {name} ({', '.join(types)}) AS {body}" if types else f"PREPARE {name} AS {body}"
        self.execute = f"EXECUTE {name}" + (f"({', '.join(['%s'] * len(types))})" if types else "")
        self.failed = False

    def run(self, cursor, sql: str, params: list) -> None:
        """Execute it prepared when it can be, else as ``sql`` (on Django's ``cursor``)."""
        if self.ready(cursor.db):
            cursor.execute(self.execute, params)
        else:
            cursor.execute(sql, params)

    def ready(self, wrapper) -> bool:
        """Prepared on this session (now, if it was not): outside the counted queries, in a savepoint
        inside a transaction so that a refusal changes nothing but this shape's way of running."""
        if self.failed or wrapper.settings_dict.get("CONN_MAX_AGE") == 0:
            return False  # refused, or a connection per request: preparing would cost a round trip more
        wrapper.ensure_connection()
        raw = wrapper.connection
        sessions = wrapper.__dict__.setdefault("returnpath_prepared", {})  # name: the session it is prepared on
        if sessions.get(self.name) is raw:
            return True
        with raw.cursor() as cursor:
            try:
                if wrapper.in_atomic_block:
                    cursor.execute(f"SAVEPOINT returnpath_prepare; {self.statement}; RELEASE SAVEPOINT returnpath_prepare")
                else:
                    cursor.execute(self.statement)
            except wrapper.Database.Error:  # the driver's own: this cursor is not Django's
                if wrapper.in_atomic_block:
                    cursor.execute("ROLLBACK TO SAVEPOINT returnpath_prepare; RELEASE SAVEPOINT returnpath_prepare")
                self.failed = True
                return False
        sessions[self.name] = raw
        return True


class _Replay:
    """The compiler of the shape's first queryset, running its SQL with other parameters (and
    its fields' converters, found once)."""

    def __init__(self, compiler, sql: str, params: list, converters: dict | None, prepared: Prepared | None) -> None:
        self._compiler, self._sql, self._params, self._converters = compiler, sql, params, converters
        self._prepared = prepared

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compiler, name)

    def execute_sql(self, result_type=MULTI, chunked_fetch=False, chunk_size=None):
        assert result_type == MULTI
        with self._compiler.connection.cursor() as cursor:
            if self._prepared is not None:
                self._prepared.run(cursor, self._sql, self._params)
            else:
                cursor.execute(self._sql, self._params)
            return [cursor.fetchall()]

    def results_iter(self, results=None, tuple_expected=False, **kwargs):
        if results is None:
            results = self.execute_sql()
        if self._converters is None:  # what the compiler does besides (composite keys)
            return self._compiler.results_iter(results, tuple_expected=tuple_expected, **kwargs)
        rows = chain.from_iterable(results)
        if self._converters:
            rows = self._compiler.apply_converters(rows, self._converters)
        return map(tuple, rows) if tuple_expected else rows


class _ReplayQuery:
    def __init__(self, query, compiler: _Replay) -> None:
        self._query, self._replay = query, compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._replay


def precompiled(key: Hashable, build: Callable[..., QuerySet], /, **values: Any) -> list:
    """The rows of ``build(**values)``, compiled once per ``key`` (the shape)."""
    connection = connections[DEFAULT_DB_ALIAS]
    cache = connection.__dict__.setdefault("returnpath_precompiled", {})
    entry = cache.get(key)
    if entry is None:
        stand_ins = {name: _stand_in(name, i, value) for i, (name, value) in enumerate(values.items())}
        template = build(**stand_ins).using(DEFAULT_DB_ALIAS)
        compiler = template.query.get_compiler(using=DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        slots = [next((name for name, v in stand_ins.items() if type(p) is type(v) and p == v), _UNUSABLE) for p in params]
        found = {slot for slot in slots if slot is not _UNUSABLE}
        leaked = any(slot is _UNUSABLE and "\x00precompiled:" in str(p) for slot, p in zip(slots, params, strict=True))
        if found != set(values) or leaked:
            entry = _UNUSABLE  # a value transformed on its way: this shape is left to the ORM
        else:
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            converters = None if compiler.has_composite_fields(fields) else compiler.get_converters(fields)
            types = [_pg_type(p if slot is _UNUSABLE else values[slot]) for slot, p in zip(slots, params, strict=True)]  # type: ignore[index]
            prepared = None
            if connection.vendor == "postgresql" and None not in types:
                prepared = Prepared(f"returnpath_{len(cache)}", sql, types)  # type: ignore[arg-type]  # no None: checked
            entry = (template, compiler, sql, [(slot, p) for slot, p in zip(slots, params, strict=True)], converters, prepared)
        cache[key] = entry
    if entry is _UNUSABLE:
        return list(build(**values).using(DEFAULT_DB_ALIAS))
    template, compiler, sql, slots, converters, prepared = entry
    params = [p if slot is _UNUSABLE else values[slot] for slot, p in slots]
    queryset: QuerySet = QuerySet(model=template.model, using=DEFAULT_DB_ALIAS)
    queryset.query = _ReplayQuery(template.query, _Replay(compiler, sql, params, converters, prepared))  # type: ignore[assignment]
    queryset._iterable_class = template._iterable_class
    queryset._fields = template._fields  # type: ignore[attr-defined]  # values_list's names
    return list(queryset)

