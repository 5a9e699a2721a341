"""Logging a conversation and planning the next one is one step: all of it, or nothing."""

import pytest

from cases.models import Case
from counselling import services
from counselling.models import Conversation
from returnpath.actors import SYSTEM
from returnpath.errors import DomainError
from tests.counselling.test_services import later, past_planned

HELD = {"stance": "considering", "discussed_voluntary_return": True, "notes": "Options explained."}


@pytest.mark.django_db
def test_held_then_next_planned(case, counsellor):
    current = past_planned(case)
    nxt = services.log_conversation_and_plan_next(
        actor=counsellor, case_id=case.pk, conversation_id=current.pk, no_show=False, outcome=HELD,
        next_conversation={"planned_at": later(3), "mode": "office", "office_id": None, "counsellor_id": None},
    )
    case = Case.objects.get(pk=case.pk)
    assert case.held_conversations == 1 and case.next_conversation_at == nxt.planned_at == later(3)


@pytest.mark.django_db
def test_when_the_next_one_cannot_be_planned_nothing_is_logged(case, counsellor):
    current = past_planned(case)
    with pytest.raises(DomainError):
        services.log_conversation_and_plan_next(
            actor=counsellor, case_id=case.pk, conversation_id=current.pk, no_show=False, outcome=HELD,
            next_conversation={"planned_at": later(-3), "mode": "office", "office_id": None, "counsellor_id": None},
        )
    current.refresh_from_db()
    assert current.status == Conversation.Status.PLANNED
    assert Case.objects.get(pk=case.pk).held_conversations == 0


@pytest.mark.django_db
def test_a_conversation_the_planner_made_meanwhile_is_moved_not_doubled(case, counsellor):
    current = past_planned(case)
    services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=current.pk)
    planner_choice = services.plan_conversation(actor=SYSTEM, case_id=case.pk, planned_at=later(5))
    walk_in = services.log_conversation_and_plan_next(
        actor=counsellor, case_id=case.pk, conversation_id=None, no_show=False, outcome=HELD,
        next_conversation={"planned_at": later(2), "mode": "office", "office_id": None, "counsellor_id": None},
    )
    planned = Conversation.objects.filter(case=case, status=Conversation.Status.PLANNED)
    assert list(planned) == [walk_in] and walk_in.planned_at == later(2)
    planner_choice.refresh_from_db()
    assert planner_choice.status == Conversation.Status.RESCHEDULED
