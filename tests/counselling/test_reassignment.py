"""A reassigned case takes its planned conversation along (or gets a new one), never leaves it behind."""

import pytest

from cases import services as cases
from counselling import services
from counselling.models import Conversation
from tests import factories as f
from tests.counselling.test_services import later


@pytest.mark.django_db
def test_the_new_counsellor_takes_over_the_planned_conversation(case, counsellor, manager, office):
    colleague = f.staff(username="colleague", office=office, languages=("fr",))
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(3))
    cases.reassign_case(actor=manager, case_id=case.pk, office_id=office.pk, counsellor_id=colleague.pk, note="holiday")
    planned.refresh_from_db()
    assert planned.status == Conversation.Status.PLANNED and planned.counsellor == colleague


@pytest.mark.django_db
def test_when_the_new_counsellor_is_busy_the_conversation_is_cancelled_for_replanning(case, counsellor, manager, office):
    colleague = f.staff(username="colleague", office=office)
    planned = services.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=later(3))
    other_case = f.CaseFactory(office=office, counsellor=colleague)
    services.plan_conversation(actor=colleague, case_id=other_case.pk, planned_at=later(3))
    cases.reassign_case(actor=manager, case_id=case.pk, office_id=office.pk, counsellor_id=colleague.pk)
    planned.refresh_from_db()
    assert planned.status == Conversation.Status.CANCELLED and "reassigned" in planned.cancel_reason
    assert not Conversation.objects.filter(case=case, status=Conversation.Status.PLANNED, counsellor=counsellor).exists()
