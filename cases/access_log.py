"""The access log: who read which person's data, when, what, from where, with what result
(decision 022). Every read path calls :func:`record_access`; the request's address and user
agent come from :class:`AccessContextMiddleware`, so services need no request."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Any

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
    case_ids = [c if isinstance(c, int) else c.pk for c in cases]
    if len(case_ids) <= 1:  # one INSERT; bulk_create would wrap it in a transaction of its own
        CaseAccess.objects.create(case_id=case_ids[0] if case_ids else None, **common)
        return
    CaseAccess.objects.bulk_create([CaseAccess(case_id=case_id, **common) for case_id in case_ids], batch_size=2000)


# Free-text search terms may be a person's name: the log keeps that a search was made, not the words
# (the log is append-only, so nothing in it could be pseudonymised later).
_REDACTED_PARAMETERS = {"q", "search"}


def export_detail(request, rows: int) -> dict[str, Any]:
    """What an export's rows record: the filter as sent (search words redacted) and the number of rows."""
    shown = {key: "…" if key in _REDACTED_PARAMETERS else (values if len(values) > 1 else values[0])
             for key, values in request.GET.lists()}
    return {"filter": shown, "rows": rows}
