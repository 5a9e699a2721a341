"""Field-level history (decision 023): django-simple-history keeps one row per save of people,
cases, legal procedures, placements (here) and conversations (``counselling.models``), on SQLite
as on PostgreSQL. Registered from outside the model classes so they stay as they are."""

from __future__ import annotations

from django.conf import settings
from django.db.models.expressions import Combinable
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords

from returnpath.actors import SYSTEM_LABEL


class _OneManagerClass(HistoryDescriptor):
    """simple_history's descriptor builds a new manager class at every ``Model.history`` access
    (``from_queryset``: ``inspect.getmembers`` of the queryset class), and every save reads it
    once: about a millisecond per saved row on the order path (issue 15). The class is the same
    each time, so it is built once."""

    def __init__(self, model, manager, queryset) -> None:
        super().__init__(model, manager=manager, queryset=queryset)
        self.built = manager.from_queryset(queryset)

    def __get__(self, instance, owner):
        return self.built(self.model, instance)


class FieldHistory(HistoricalRecords):
    """Services count with ``F("n") + 1`` in a save; the history row needs the resulting value."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        sender._field_history = self  # what first_record() asks (the statement-built saves)
        descriptor = sender.__dict__.get(self.manager_name)
        if type(descriptor) is HistoryDescriptor:
            setattr(sender, self.manager_name, _OneManagerClass(descriptor.model, descriptor.manager_class, descriptor.queryset_class))

    def post_save(self, instance, created, using=None, **kwargs):
        pending = [f.attname for f in instance._meta.concrete_fields if isinstance(instance.__dict__.get(f.attname), Combinable)]
        if pending:
            instance.refresh_from_db(fields=pending)
        super().post_save(instance, created, using=using, **kwargs)


def first_record(instance) -> dict | None:
    """The columns a save's post_save would give the first history record of ``instance`` besides
    the instance's own (``history_type`` "+"), for a writer that inserts the rows itself (the new
    case of one order, ``cases.services.new_case``); None when history is switched off."""
    records: FieldHistory = type(instance)._field_history
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or hasattr(instance, "skip_history_when_saving"):
        return None
    user = records.get_history_user(instance)
    return {
        "history_date": getattr(instance, "_history_date", timezone.now()),
        "history_change_reason": records.get_change_reason_for_object(instance, "+", None),
        "history_type": "+",
        "history_user_id": user.pk if user is not None else None,
    }


def unindexed(model, *, keep: tuple[str, ...]) -> list[str]:
    """The fields whose history columns need no index: history is read by the record's ``id``
    (and a case's procedures, placements and conversations by ``case``), never by anything else,
    and every index of a history table is written at each save of the model (issue 15)."""
    return [field.name for field in model._meta.concrete_fields if field.name not in keep]


def register_history() -> None:
    from simple_history import register

    from cases.models import Case, LegalProcedure, Person, Placement

    for model in (Person, Case, LegalProcedure, Placement):
        if not hasattr(model, "history"):
            register(model, app="cases", records_class=FieldHistory,
                     excluded_fields=["search_name"] if model is Person else [],
                     no_db_index=unindexed(model, keep=("id",) if model in (Person, Case) else ("id", "case")))


def field_changes(case, *, limit: int = 500) -> list[dict]:
    """What changed, field by field, on the case, its person, procedures, placements and
    conversations: newest first, each change as (field label, before, after)."""
    from cases.conversations import conversation_history
    from cases.models import Case, LegalProcedure, Person, Placement

    sources = [
        (Case, Case.history.filter(id=case.pk)),
        (Person, Person.history.filter(id=case.person_id)),
        (LegalProcedure, LegalProcedure.history.filter(case_id=case.pk)),
        (Placement, Placement.history.filter(case_id=case.pk)),
    ]
    conversations = conversation_history(case)  # counselling's, through the selector cases owns
    if conversations is not None:
        sources.append(conversations)
    changes = []
    for model, records in sources:
        fields = [f for f in model._meta.concrete_fields if f.name not in {"id", "updated_at", "search_name"}]
        previous: dict = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id")[:limit]:
            before = previous.get(record.id)
            diff = [
                (str(f.verbose_name), _shown(before, f), _shown(record, f))
                for f in fields
                if (before is None and record.history_type != "+") or (before is not None
                and getattr(before, f.attname) != getattr(record, f.attname))
            ]
            previous[record.id] = record
            if record.history_type == "+" or diff:
                changes.append({
                    "at": record.history_date, "who": _who(record), "what": f"{model._meta.verbose_name} #{record.id}",
                    "created": record.history_type == "+", "changes": diff if record.history_type != "+" else [],
                })
    changes.sort(key=lambda c: c["at"], reverse=True)
    return changes[:limit]


def _shown(record, field) -> str:
    if record is None:
        return ""
    value = getattr(record, field.attname)
    return "" if value in (None, "") else str(value)


def _who(record) -> str:
    user = record.history_user
    return (user.get_full_name() or user.get_username()) if user is not None else SYSTEM_LABEL
