import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, State
from counselling import services as counselling
from counselling.models import Conversation
from returnpath.errors import TransitionRefused


def order(ref="OQT-1", **person):
    today = timezone.localdate()
    return services.OrderData(
        external_reference=ref, issued_on=today - dt.timedelta(days=3), notified_on=today - dt.timedelta(days=2),
        departure_term_days=30,
        person=services.PersonData(family_name="Testperson", given_names="Ana", birth_date=dt.date(1990, 1, 2),
                                   nationality="MA", postcode="1050", languages=("fr",), **person),
    )


@pytest.mark.django_db
def test_order_opens_case_then_trajectory(office, counsellor, manager):
    result = services.open_case_from_order(actor=None, data=order())
    case = result.case
    assert result.case_created and case.office == office and case.counsellor == counsellor
    again = services.open_case_from_order(actor=None, data=order())
    assert not again.created and again.case == case
    with pytest.raises(TransitionRefused) as refused:
        services.start_orientation(actor=counsellor, case_id=case.pk)
    assert len(refused.value.details) == 1
    conv = counselling.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=timezone.now() + dt.timedelta(minutes=1))
    assert conv.status == Conversation.Status.PLANNED
    counselling.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conv.pk, stance="refuses",
                                         discussed_voluntary_return=True)
    case = services.start_orientation(actor=counsellor, case_id=case.pk)
    assert case.state == State.ORIENTATION
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=counsellor, case_id=case.pk, motivation="")
    assert len(refused.value.details) >= 3
    print(refused.value.details)
    case = services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="dup")
    assert case.state == State.CLOSED
    assert CaseEvent.objects.filter(case=case).count() >= 5
    assert Case.objects.get(pk=case.pk).state == State.CLOSED
