"""A repeat order brings the person's latest address and contact details, and the case follows a move."""

import pytest

from cases.models import CaseEvent
from cases.services import open_case_from_order
from returnpath.actors import SYSTEM
from tests.cases.test_orders import NN, order, person


@pytest.mark.django_db
def test_a_repeat_order_updates_the_address_and_moves_the_case_to_the_new_region(office, other_office, counsellor, other_counsellor):
    first = open_case_from_order(actor=SYSTEM, data=order("OQT-A", who=person(national_number=NN, postcode="1050", phone="+32470000001")))
    assert first.case.office == office
    second = open_case_from_order(actor=SYSTEM, data=order("OQT-B", who=person(national_number=NN, postcode="2018", phone="")))
    case = second.case
    case.refresh_from_db()
    case.person.refresh_from_db()
    assert case.pk == first.case.pk and not second.case_created
    assert case.person.postcode == "2018" and case.person.phone == "+32470000001"  # an empty phone erases nothing
    assert case.office == other_office and case.counsellor == other_counsellor
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert CaseEvent.Kind.ADDRESS_CHANGED in kinds and kinds.count(CaseEvent.Kind.ASSIGNED) == 2
