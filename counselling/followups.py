"""What counselling does when the case core takes a step (the steps: :mod:`cases.followups`).

Registered in ``CounsellingConfig.ready``; decision 090. Each runs inside the core's
transaction with the case row locked: the planned conversation is handed over or cancelled in
the same transaction as the step, and the planning of the next conversation is queued after
commit (the task re-reads the database, so a lost message is harmless: the sweep finds the same
work). What follows counselling's own steps is called by its services, not from here.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from cases import followups
from cases.followups import CaseAssigned, CaseOpened, CasesOpened, StateChanged
from cases.models import COUNSELLED_STATES
from counselling import backoff, services


def plan_the_intake(step: CaseOpened) -> None:
    services.plan_intake_after_commit(step.case)


def plan_the_intakes(step: CasesOpened) -> None:
    """Cases opened in bulk: one task plans their intakes after commit."""
    from counselling.tasks import enqueue, plan_next_conversations

    case_ids = list(step.case_ids)
    if case_ids:
        transaction.on_commit(partial(enqueue, plan_next_conversations, case_ids=case_ids))


def follow_the_trajectory(step: StateChanged) -> None:
    """Out of counselling (closed, departed, untraceable...): no conversation stays planned.
    Into or within counselling (contact re-established, a legal stay review ended): the case
    needs its next conversation, planned after commit."""
    if step.to_state not in COUNSELLED_STATES:
        services.cancel_planned_conversations(case=step.case, actor=step.actor)
        return
    backoff.plannable_at_once(step.case)  # a new state, a new cadence: not the old back-off (decision 123)
    services.plan_next_after_commit(step.case)


def hand_over(step: CaseAssigned) -> None:
    if step.first:  # a new case: nothing is planned yet
        return
    backoff.plannable_at_once(step.case)  # another counsellor or office: not the old back-off (decision 123)
    services.hand_over_planned_conversation(case=step.case, actor=step.actor, office=step.office, counsellor=step.counsellor)


def register() -> None:
    followups.register(StateChanged, follow_the_trajectory)
    followups.register(CaseOpened, plan_the_intake)
    followups.register(CasesOpened, plan_the_intakes)
    followups.register(CaseAssigned, hand_over)
