"""What cases reads (and erases) of counselling's conversations: a selector cases owns.

cases sits below counselling and never imports it (DESIGN §5, decision 095). The conversation
facts the core's rules need are fields on the case, written by counselling's services in the same
transaction (held count, refusals, no-shows, ``next_conversation_at``). What the case page, the API,
the field history and the erasure show or rewrite of the conversations themselves goes through the
functions below; counselling registers the source behind them in CounsellingConfig.ready, so the
model, its statuses and its history stay counselling's. Without a registered source (cases alone)
a case has no conversations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Prefetch, Q, QuerySet

if TYPE_CHECKING:
    from cases.models import Case


class ConversationSource(Protocol):
    def planned(self) -> QuerySet: ...  # the planned conversations, of every case
    def planned_condition(self) -> Q: ...  # the same as a condition on conversations
    def is_planned(self, conversation: Any) -> bool: ...
    def of_cases(self) -> QuerySet: ...  # every conversation, of every case
    def history(self) -> tuple[type, QuerySet]: ...  # the model and its field-history records
    def pseudonymise(self, *, case_ids: list[int], pseudonym: str) -> None: ...


_source: ConversationSource | None = None


def register_source(source: ConversationSource) -> None:
    # One source per process, set once in AppConfig.ready.
    global _source
    _source = source


def next_planned_conversation(case: Case) -> Any | None:
    """The case's planned conversation (at most one), with its office and counsellor."""
    if _source is None:
        return None
    return _source.planned().filter(case_id=case.pk).select_related("office", "counsellor").first()


def planned_prefetch(*, to_attr: str) -> list[Prefetch]:
    """A prefetch of each case's planned conversation with its office, for lists of cases."""
    if _source is None:
        return []
    return [Prefetch("conversations", queryset=_source.planned().select_related("office"), to_attr=to_attr)]


def page_conversations(case: Case, named: QuerySet) -> QuerySet | None:
    """The case's planned conversation and those named by ``named`` (a values query of ids), with
    office and counsellor, in one read (the case page preloads it, decision 071); None without a source."""
    if _source is None:
        return None
    return (
        _source.of_cases().filter(case_id=case.pk).filter(_source.planned_condition() | Q(pk__in=named))
        .select_related("office", "counsellor")
    )


def is_planned(conversation: Any) -> bool:
    return _source is not None and _source.is_planned(conversation)


def conversation_history(case: Case) -> tuple[type, QuerySet] | None:
    """The conversation model and the field-history records of the case's conversations."""
    if _source is None:
        return None
    model, records = _source.history()
    return model, records.filter(case_id=case.pk)


def pseudonymise_conversations(*, case_ids: list[int], pseudonym: str) -> None:
    """Blank the free text of the cases' conversations and messages (inside the caller's transaction)."""
    if _source is not None:
        _source.pseudonymise(case_ids=case_ids, pseudonym=pseudonym)
