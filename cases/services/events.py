from __future__ import annotations

from typing import Any, TypedDict, Unpack

from cases.models import Case, CaseEvent
from returnpath.actors import SYSTEM_LABEL, Actor, SystemActor


def actor_label(actor: Actor) -> str:
    if isinstance(actor, SystemActor):
        return SYSTEM_LABEL
    api_client = getattr(actor, "api_client", None) if hasattr(actor, "api_client") else None
    if api_client is not None:
        return f"API: {api_client.name}"
    return actor.get_full_name() or actor.get_username()


class EventFields(TypedDict, total=False):
    """What an event may say besides its case, actor and kind."""

    transition: str
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any] | None


def event_values(*, actor: Actor, kind: str, **fields: Unpack[EventFields]) -> dict[str, Any]:
    """An event's columns besides its case (and its time): what :func:`build_event` builds on,
    and what the batch job's bulk path writes with COPY (decision 112)."""
    return {
        "actor_id": None if isinstance(actor, SystemActor) else actor.pk,
        "actor_label": actor_label(actor),
        "kind": kind,
        "transition": fields.get("transition", ""),
        "from_state": fields.get("from_state", ""),
        "to_state": fields.get("to_state", ""),
        "note": fields.get("note", ""),
        "data": fields.get("data") or {},
    }


def build_event(*, case: Case, actor: Actor, kind: str, **fields: Unpack[EventFields]) -> CaseEvent:
    """One event for the case's timeline, not saved yet (several are saved with one bulk_create)."""
    values = event_values(actor=actor, kind=kind, **fields)
    del values["actor_id"]
    return CaseEvent(case=case, actor=None if isinstance(actor, SystemActor) else actor, **values)


def record_event(*, case: Case, actor: Actor, kind: str, **fields: Unpack[EventFields]) -> CaseEvent:
    """Append one event to the case's timeline (the audit trail; never edited)."""
    event = build_event(case=case, actor=actor, kind=kind, **fields)
    event.save(force_insert=True)
    return event
