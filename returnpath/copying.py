"""Rows written with PostgreSQL's COPY (decisions 073 and 112).

:class:`CopyWriter` streams rows of one model into its table (or a copy of it), every concrete
column filled: with the value given, else the field's own default (``now`` for the time stamps
and the callable defaults), so a column added later with a default needs no change by its users.
The volume generator (``counselling.volume``) and the batch job's bulk path
(``cases.services.order_batches``) write with it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any, cast

from django.db import connection, models

FLUSH_ROWS = 20_000

COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    # The common types first, by exact type: this runs for every column of millions of rows.
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(COPY_ESCAPES)
        return value
    if kind is int:
        return str(value)
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(COPY_ESCAPES)
    return text


def field_default(f: models.Field, now: dt.datetime) -> Any:
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    return "" if f.empty_strings_allowed else None


class CopyWriter:
    """Rows of one model streamed into its table with COPY, every concrete column filled."""

    def __init__(self, model: type[models.Model], *, now: dt.datetime, table: str = "", generated_id: bool = False) -> None:
        """``generated_id``: leave the primary key out, for the table's sequence to fill."""
        self.model = model
        self.table = table or model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if not (generated_id and f.primary_key)]
        self.columns = [cast(str, f.column) for f in self.fields]  # a concrete field has a column (None: only virtual ones)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.index.update({f.name: i for i, f in enumerate(self.fields)})
        self.defaults = [copy_text(field_default(f, now)) for f in self.fields]
        # A JSON column takes every value as JSON (a string, a number, true), SQL NULL for None.
        self.json = {i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)}
        self.buffer = io.StringIO()
        self.pending = 0
        self.total = 0

    def add(self, values: dict[str, Any]) -> None:
        parts = list(self.defaults)
        index, json_columns = self.index, self.json
        for name, value in values.items():
            i = index[name]
            if i in json_columns and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            parts[i] = copy_text(value)
        self.buffer.write("\t".join(parts))
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {self.table} ({columns}) FROM STDIN", self.buffer)
        self.total += self.pending
        self.buffer = io.StringIO()
        self.pending = 0


def new_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence, in one statement (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, model._meta.pk.column, count]
        )
        return [row[0] for row in cursor.fetchall()]
