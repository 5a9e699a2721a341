"""Receivers of the core's signals and of counselling's own (connected in CounsellingConfig.ready).

Each one only queues work after the transaction commits; the task re-reads the database, so a
lost message is harmless (the sweeps find the same work).
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from cases.models import COUNSELLED_STATES


def plan_intake_when_case_opened(sender, *, case, **kwargs) -> None:
    from counselling.tasks import enqueue, plan_next_conversation

    transaction.on_commit(partial(enqueue, plan_next_conversation, case_id=case.pk))


def plan_intakes_when_cases_opened(sender, *, cases, **kwargs) -> None:
    """Cases opened in bulk: one task plans their intakes after commit."""
    from counselling.tasks import enqueue, plan_next_conversations

    case_ids = [case.pk for case in cases]
    if case_ids:
        transaction.on_commit(partial(enqueue, plan_next_conversations, case_ids=case_ids))


def plan_when_counselling_resumes(sender, *, case, to_state: str, **kwargs) -> None:
    """E.g. contact re-established or a legal stay review ended: the case needs its next conversation."""
    if to_state not in COUNSELLED_STATES:
        return
    from counselling.tasks import enqueue, plan_next_conversation

    transaction.on_commit(partial(enqueue, plan_next_conversation, case_id=case.pk))


def plan_after_outcome(sender, *, instance, created: bool, update_fields=None, **kwargs) -> None:
    """A conversation got its outcome (held, no-show, cancelled): plan the next one after commit.

    ``plan_next_for_case`` does nothing when a conversation is still planned (a reschedule) or
    the case left counselling (a cancel because the case ended).
    """
    if instance.status == instance.Status.PLANNED:
        return
    from counselling.tasks import enqueue, plan_next_conversation

    transaction.on_commit(partial(enqueue, plan_next_conversation, case_id=instance.case_id))


def invite_when_planned(sender, *, conversation, **kwargs) -> None:
    from counselling.tasks import enqueue, send_invitation

    transaction.on_commit(partial(enqueue, send_invitation, conversation_id=conversation.pk))
