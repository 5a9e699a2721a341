"""The conversations as cases may read and erase them (``cases.conversations``, decision 095).

Registered in CounsellingConfig.ready: cases never imports counselling, and what "planned" means,
the history of a conversation and which of its fields hold free text stay here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from counselling.models import Conversation, OutboundMessage

# Free text and contact fields blanked when a person is pseudonymised (decision 024).
CONVERSATION_BLANK = ("notes", "agreed_next_step", "cancel_reason")
MESSAGE_BLANK = ("subject", "body", "error")


def _blank(queryset: QuerySet, fields: tuple[str, ...]) -> None:
    present = [f for f in fields if any(field.name == f for field in queryset.model._meta.concrete_fields)]
    if present:
        queryset.update(**dict.fromkeys(present, ""))


class ConversationsForCases:
    def planned(self) -> QuerySet:
        return Conversation.objects.filter(status=Conversation.Status.PLANNED)

    def planned_condition(self) -> Q:
        return Q(status=Conversation.Status.PLANNED)

    def is_planned(self, conversation: Conversation) -> bool:
        return conversation.status == Conversation.Status.PLANNED

    def of_cases(self) -> QuerySet:
        return Conversation.objects.all()

    def history(self) -> tuple[type, QuerySet]:
        return Conversation, Conversation.history.all()

    def pseudonymise(self, *, case_ids: list[int], pseudonym: str) -> None:
        _blank(Conversation.objects.filter(case_id__in=case_ids), CONVERSATION_BLANK)
        _blank(Conversation.history.filter(case_id__in=case_ids), CONVERSATION_BLANK)
        messages = OutboundMessage.objects.filter(conversation__case_id__in=case_ids)
        _blank(messages, MESSAGE_BLANK)
        messages.update(to=pseudonym)  # the recipient (phone number, e-mail address) is the person's


def register() -> None:
    from cases.conversations import register_source

    register_source(ConversationsForCases())
