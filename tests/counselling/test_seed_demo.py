"""seed_demo: the Belgian reference data, demo logins and case histories; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from stdnum.be import bis, nn

from cases import legal
from cases.models import OPEN_STATES, Case, CaseEvent, LegalProcedure, OrderToLeave, Person, Placement, State
from counselling import demo
from counselling.models import Conversation
from offices.models import ConsultationHours, Membership, Office, ServiceArea, StaffProfile
from offices.selectors import office_for_postcode

User = get_user_model()

MODELS = (Office, ServiceArea, ConsultationHours, Membership, StaffProfile, User, Person, Case, OrderToLeave, LegalProcedure,
          Placement, CaseEvent, Conversation)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())
    return counts()


@pytest.mark.slow
def test_seed_demo_is_complete_and_idempotent(seeded, client):
    # Idempotent: a second run creates and changes nothing.
    before_events = list(CaseEvent.objects.order_by("id").values_list("id", "at"))
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == seeded
    assert list(CaseEvent.objects.order_by("id").values_list("id", "at")) == before_events
    assert "0 cases created" in out.getvalue()

    # The offices and facilities of DESIGN §2 and §8.
    offices = Office.objects.filter(kind=Office.Kind.REGIONAL_OFFICE)
    towns = set(offices.values_list("municipality", flat=True))
    assert {"Bruxelles", "Antwerpen", "Gent", "Namur", "Liège", "Hasselt", "Neufchâteau"} <= towns
    assert Office.objects.get(code=settings.RETURNPATH_DEFAULT_OFFICE_CODE).kind == Office.Kind.REGIONAL_OFFICE
    for province, n in offices.values_list("province").annotate(n=Count("id")):
        assert 2 <= n <= 3, province
    assert set(Office.objects.filter(kind=Office.Kind.RETURN_DESK).values_list("municipality", flat=True)) == {
        "Bruxelles", "Gent", "Liège", "Antwerpen", "Charleroi"}
    centres = {o.name: (o.capacity, o.restriction) for o in Office.objects.filter(kind=Office.Kind.CLOSED_CENTRE)}
    assert sorted(c for c, _r in centres.values()) == [28, 77, 100, 104, 110, 120]
    assert centres["Closed centre Holsbeek"] == (28, Office.Restriction.WOMEN_ONLY)
    assert centres["Closed centre 127bis"] == (120, Office.Restriction.MEN_ONLY)
    houses = Office.objects.filter(kind=Office.Kind.RETURN_HOUSE)
    assert sorted(houses.values_list("capacity", flat=True)) == [3, 5, 6, 6, 7]
    assert set(houses.values_list("restriction", flat=True)) == {Office.Restriction.FAMILIES_ONLY}
    assert Office.objects.filter(kind=Office.Kind.OPEN_RETURN_PLACE).exists()
    assert ConsultationHours.objects.filter(office__code="BXL-1").values("weekday").distinct().count() == 5

    # Every Belgian postcode has a regional office.
    missing = [code for code in range(1000, 10000) if office_for_postcode(code) is None]
    assert missing == []

    # Cases: enough, in every state, consistent with their history.
    assert Case.objects.count() >= 300
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values)
    assert not Person.objects.annotate(n=Count("cases", filter=Q(cases__state__in=OPEN_STATES))).filter(n__gt=1).exists()
    assert Person.objects.annotate(n=Count("cases")).filter(n__gt=1).exists()  # people who came back
    assert Case.objects.annotate(n=Count("orders")).filter(n__gt=1).exists()  # repeat orders attached
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()
    for case in Case.objects.exclude(state=State.REGISTERED).order_by("?")[:40]:
        last = case.events.filter(kind=CaseEvent.Kind.TRANSITION).order_by("at", "id").last()
        assert last is not None and last.to_state == case.state, case.pk
    held = Conversation.objects.filter(status=Conversation.Status.HELD).values("case").annotate(n=Count("id"))
    assert all(Case.objects.get(pk=row["case"]).held_conversations == row["n"] for row in held[:50])
    assert Case.objects.filter(unaccompanied_minor=True).exists() and Case.objects.filter(minor_children__gt=0).exists()
    assert Case.objects.filter(public_order=True).exists()
    assert Placement.objects.filter(ended_on__isnull=True, facility__kind=Office.Kind.CLOSED_CENTRE).exists()
    for number in Person.objects.exclude(national_number="").values_list("national_number", flat=True):
        assert nn.is_valid(number) or bis.is_valid(number)

    # The demo counsellor's day is alive: planned today and this week, something overdue.
    brussels = User.objects.get(username="counsellor.brussels")
    planned = Conversation.objects.filter(counsellor=brussels, status=Conversation.Status.PLANNED)
    # "Today" is the next working day: seeded on a Sunday, the demo shows Monday's conversations (issue 14).
    today = legal.next_working_day_on_or_after(timezone.localdate())
    assert any(timezone.localtime(c.planned_at).date() == today for c in planned)
    assert all(legal.is_working_day(timezone.localtime(c.planned_at).date())
               for c in Conversation.objects.filter(status=Conversation.Status.PLANNED))

    # What a newcomer sees looks like an office (DESIGN §2): most people have an address, most
    # open cases are inside their (running) departure term, about a fifth of orders are repeats.
    for scope in ({"office__code": "BXL-1"}, {}):  # the Brussels demo office, and the whole country
        open_cases = Case.objects.filter(state__in=OPEN_STATES, **scope)
        assert open_cases.filter(person__postcode="").count() * 4 < open_cases.count(), scope
        running_and_passed = open_cases.filter(departure_deadline__lt=timezone.localdate(), pending_suspensive_procedures=0)
        assert running_and_passed.count() * 2 < open_cases.count(), scope
    earlier = OrderToLeave.objects.filter(case__person=OuterRef("case__person"), id__lt=OuterRef("id"))
    share = OrderToLeave.objects.filter(Exists(earlier)).count() / OrderToLeave.objects.count()
    assert 0.12 <= share <= 0.3, share
    assert len(set(Case.objects.values_list("target_group", flat=True))) == 7
    assert planned.filter(planned_at__lt=timezone.now()).exists()
    assert planned.filter(planned_at__gt=timezone.now()).count() >= 3
    assert Case.objects.filter(counsellor=brussels, state__in=OPEN_STATES).count() >= 8

    # Demo logins work, with their roles.
    for username in ("counsellor.brussels", "counsellor.antwerp", "manager.brussels", "coordinator", "admin"):
        assert client.login(username=username, password=demo.DEMO_PASSWORD), username
    assert Membership.objects.get(user__username="manager.brussels").role == Membership.Role.MANAGER
    assert Membership.objects.get(user__username="counsellor.antwerp").office.code == "ANT-1"
    assert User.objects.get(username="coordinator").has_perm("cases.view_all_cases")
    assert User.objects.get(username="admin").is_superuser


def test_case_plans_are_deterministic():
    today = timezone.localdate()
    first = demo.case_plans(50, 7, today)
    assert first == demo.case_plans(50, 7, today)
    assert first != demo.case_plans(50, 8, today)
    assert {p.target for p in first} == set(State.values)
