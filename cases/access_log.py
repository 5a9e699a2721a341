"""The access log: who read which person's data, when, what, from where, with what result
(decision 022). Every read path calls :func:`record_access`; the request's address and user
agent come from :class:`AccessContextMiddleware`, so services need no request."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Any

from django.db import connection

from cases.models import Case, CaseAccess
from cases.services.events import actor_label
from returnpath.actors import User

_context: contextvars.ContextVar[tuple[str | None, str]] = contextvars.ContextVar("access_context", default=(None, ""))


class AccessContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR: a forwarded header is the client's word unless a trusted proxy rewrites it.
        token = _context.set((request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")[:300]))
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)


def _client_label(actor: User) -> str:
    client = getattr(actor, "api_client", None) if hasattr(actor, "api_client") else None
    return client.name if client is not None else ""


def record_access(
    *, actor: User, via: str, cases: Iterable[Case | int] = (), result: str = CaseAccess.Result.OK,
    detail: dict[str, Any] | None = None,
) -> None:
    """One row per case read (none: one row without a case, e.g. an export's summary or a miss)."""
    if actor is None or not actor.is_authenticated:
        return
    address, agent = _context.get()
    common = {
        "user": actor, "user_label": actor_label(actor)[:150], "via": via, "address": address, "user_agent": agent,
        "client_label": _client_label(actor), "result": result, "detail": detail or {},
    }
    case_ids: list[int | None] = [c if isinstance(c, int) else c.pk for c in cases] or [None]
    rows = [CaseAccess(case_id=case_id, **common) for case_id in case_ids]
    if connection.in_atomic_block or len(rows) > _ONE_STATEMENT:
        CaseAccess.objects.bulk_create(rows, batch_size=_ONE_STATEMENT)
    else:
        _insert_in_one_statement(rows)


def _insert_in_one_statement(rows: list[CaseAccess]) -> None:
    """Outside a transaction one multi-row INSERT is atomic by itself: the same one statement for a
    page of one case or of many (bulk_create would add a BEGIN and a COMMIT of its own around it)."""
    fields = [f for f in CaseAccess._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)  # concrete: never None
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    table = connection.ops.quote_name(CaseAccess._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_marks] * len(rows))}", params)  # noqa: S608 - names from the model


_ONE_STATEMENT = 2000  # rows of one INSERT (a caseload page has 25, an export writes more)


# Free-text search terms may be a person's name: the log keeps that a search was made, not the words
# (the log is append-only, so nothing in it could be pseudonymised later).
_REDACTED_PARAMETERS = {"q", "search"}


def export_detail(request, rows: int) -> dict[str, Any]:
    """What an export's rows record: the filter as sent (search words redacted) and the number of rows."""
    shown = {key: "…" if key in _REDACTED_PARAMETERS else (values if len(values) > 1 else values[0])
             for key, values in request.GET.lists()}
    return {"filter": shown, "rows": rows}
