"""What follows a step (decision 090): the services call it; the core's steps are declared once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import followups
from cases.returns.services.care import cancel_removal_on_state_change
from cases.returns.services.referrals import follow_referral_on_state_change
from counselling import followups as counselling_followups
from counselling import services
from counselling.models import Conversation
from tests.counselling.test_scheduling import eager  # noqa: F401  (fixture)
from tests.counselling.test_services import later

pytestmark = pytest.mark.django_db


def test_every_core_step_lists_what_follows_it_in_order():
    assert followups.followers(followups.StateChanged) == (
        follow_referral_on_state_change, cancel_removal_on_state_change, counselling_followups.follow_the_trajectory,
    )
    assert followups.followers(followups.CaseOpened) == (counselling_followups.plan_the_intake,)
    assert followups.followers(followups.CasesOpened) == (counselling_followups.plan_the_intakes,)
    assert followups.followers(followups.CaseAssigned) == (counselling_followups.hand_over,)
    counselling_followups.register()  # AppConfig.ready may run again: nothing is registered twice
    assert len(followups.followers(followups.CaseAssigned)) == 1


def test_an_undeclared_step_cannot_be_run():
    with pytest.raises(KeyError):
        followups.run(object())  # type: ignore[arg-type]


def test_a_cancelled_conversation_is_replanned_after_commit(case, counsellor, eager, django_capture_on_commit_callbacks):  # noqa: F811
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(3))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.cancel_conversation(actor=counsellor, case_id=case.pk, conversation_id=planned.pk, reason="ill")
    assert queued[0].args[0].name == "counselling.plan_next_conversation" and queued[0].keywords == {"case_id": case.pk}
    replanned = Conversation.objects.get(case=case, status=Conversation.Status.PLANNED)
    assert replanned.pk != planned.pk


def test_a_no_show_is_followed_by_the_next_conversation_after_commit(case, counsellor, office, eager, django_capture_on_commit_callbacks):  # noqa: F811
    missed = Conversation.objects.create(case=case, counsellor=counsellor, office=office,
                                         planned_at=timezone.now() - dt.timedelta(hours=2), duration_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=missed.pk)
    assert Conversation.objects.filter(case=case, status=Conversation.Status.PLANNED).exclude(pk=missed.pk).exists()


def test_saving_a_conversation_outside_the_services_queues_nothing(case, counsellor, office, django_capture_on_commit_callbacks):
    """No hidden receiver: what follows an outcome is the service's call, not a post_save."""
    with django_capture_on_commit_callbacks() as queued:
        Conversation.objects.create(case=case, counsellor=counsellor, office=office, status=Conversation.Status.CANCELLED,
                                    planned_at=later(4), duration_minutes=60)
    assert queued == []
