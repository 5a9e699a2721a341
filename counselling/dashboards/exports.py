"""CSV exports, streamed: rows go out as the database hands them over, so memory stays flat
whether the export holds ten rows or a million (``.iterator(chunk_size=...)`` over
``values_list``, never model instances, never a list)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from counselling.dashboards.panels import Table

CHUNK = 2000


class _Echo:
    """csv.writer needs a file; this one hands back what is written."""

    def write(self, value: str) -> str:
        return value


def _encode(rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])


def csv_response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_encode(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def table_response(table: Table, filename: str) -> StreamingHttpResponse:
    return csv_response(table.csv_rows(), filename)


# No names, addresses or identity numbers: an export leaves the application (DESIGN §7, data
# minimisation); the case number leads back to the person for whoever may open the case.
CASE_COLUMNS = (
    ("id", "case"),
    ("state", "state"),
    ("target_group", "target_group"),
    ("office__code", "office"),
    ("counsellor__username", "counsellor"),
    ("person__nationality", "nationality"),
    ("opened_at", "opened_at"),
    ("departure_deadline", "departure_deadline"),
    ("next_conversation_at", "next_conversation_at"),
    ("held_conversations", "held_conversations"),
    ("consecutive_no_shows", "consecutive_no_shows"),
    ("pending_suspensive_procedures", "pending_suspensive_procedures"),
    ("escalation_proposed_at", "escalation_proposed_at"),
    ("public_order", "public_order"),
    ("vulnerable", "vulnerable"),
    ("minor_children", "minor_children"),
    ("unaccompanied_minor", "unaccompanied_minor"),
    ("outcome_at", "outcome_at"),
    ("departed_on", "departed_on"),
    ("removed_on", "removed_on"),
    ("close_reason", "close_reason"),
)


def _stamp(value):
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def case_rows(cases: QuerySet) -> Iterator[list]:
    yield [header for _field, header in CASE_COLUMNS]
    # values_list + iterator: a server-side cursor on PostgreSQL, CHUNK rows in memory at a time.
    for row in cases.values_list(*[name for name, _header in CASE_COLUMNS]).iterator(chunk_size=CHUNK):
        yield [_stamp(value) for value in row]


CONVERSATION_COLUMNS = (
    ("id", "conversation"),
    ("case_id", "case"),
    ("case__office__code", "office"),
    ("counsellor__username", "counsellor"),
    ("planned_at", "planned_at"),
    ("mode", "mode"),
    ("status", "status"),
    ("is_intake", "intake"),
    ("interpreter_language", "interpreter_language"),
    ("stance", "stance"),
)


def conversation_rows(conversations: QuerySet) -> Iterator[list]:
    yield [header for _field, header in CONVERSATION_COLUMNS]
    for row in conversations.values_list(*[name for name, _header in CONVERSATION_COLUMNS]).iterator(chunk_size=CHUNK):
        yield [_stamp(value) for value in row]
