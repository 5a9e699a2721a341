"""The case trajectory, edge by edge. The table below is DESIGN §3, copied by hand, not read from the code."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, State
from cases.selectors import access_case
from cases.steps import STEPS
from returnpath.errors import DomainError, TransitionRefused
from tests import factories as f

ALL_STATES = (
    "registered",
    "orientation",
    "legal_stay_review",
    "voluntary_return",
    "forced_return",
    "untraceable",
    "departed",
    "removed",
    "legal_stay_granted",
    "closed",
)
TERMINAL = ("departed", "removed", "legal_stay_granted", "closed")
NON_TERMINAL = tuple(s for s in ALL_STATES if s not in TERMINAL)

# DESIGN §3 "Transitions": name → (from, to).
DESIGN = {
    "start_orientation": (("registered",), "orientation"),
    "open_legal_stay_review": (("orientation", "voluntary_return", "forced_return", "untraceable"), "legal_stay_review"),
    "resume_orientation": (("legal_stay_review",), "orientation"),
    "grant_legal_stay": (("legal_stay_review",), "legal_stay_granted"),
    "agree_voluntary_return": (("orientation", "forced_return"), "voluntary_return"),
    "withdraw_voluntary_return": (("voluntary_return",), "orientation"),
    "confirm_departure": (("voluntary_return", "orientation"), "departed"),
    "escalate_to_forced_return": (("orientation", "voluntary_return"), "forced_return"),
    "confirm_removal": (("forced_return",), "removed"),
    "lose_contact": (("registered", "orientation", "voluntary_return"), "untraceable"),
    "re_establish_contact": (("untraceable",), "orientation"),
    "close": (NON_TERMINAL, "closed"),
}

# Who takes the step: the counsellor where DESIGN gives no role, the office manager where it decides.
ACTOR = {
    "start_orientation": "counsellor",
    "open_legal_stay_review": "counsellor",
    "resume_orientation": "counsellor",
    "grant_legal_stay": "counsellor",
    "agree_voluntary_return": "counsellor",
    "withdraw_voluntary_return": "counsellor",
    "confirm_departure": "counsellor",
    "escalate_to_forced_return": "manager",
    "confirm_removal": "counsellor",
    "lose_contact": "manager",
    "re_establish_contact": "counsellor",
    "close": "manager",
}


def satisfied(name: str) -> dict:
    """Case fields that satisfy every guard of the step (DESIGN §3, "guards")."""
    now = timezone.now()
    return {
        "start_orientation": {"held_conversations": 1},
        "open_legal_stay_review": {"pending_procedures": 1},
        "resume_orientation": {},
        "grant_legal_stay": {"granted_procedures": 1, "granted_routes_to_stay": 1},
        "agree_voluntary_return": {"voluntary_return_agreed_at": now - dt.timedelta(hours=1)},
        "withdraw_voluntary_return": {},
        "confirm_departure": {},
        "escalate_to_forced_return": {
            "departure_deadline": timezone.localdate() - dt.timedelta(days=1),
            "voluntary_return_refusals": 2,
            "held_conversations": 2,
        },
        "confirm_removal": {},
        "lose_contact": {"consecutive_no_shows": 2},
        "re_establish_contact": {"state_entered_at": now - dt.timedelta(days=3), "last_contact_at": now - dt.timedelta(hours=1)},
        "close": {},
    }[name]


def inputs(name: str) -> dict:
    """What the person taking the step must give (DESIGN §3: motivation, reason, dates)."""
    today = timezone.localdate()
    return {
        "resume_orientation": {"new_departure_deadline": today + dt.timedelta(days=30)},
        "withdraw_voluntary_return": {"reason": "The person wants to wait for the 9ter decision."},
        "confirm_departure": {"departed_on": today, "evidence": "boarding_pass", "destination_country": "MA"},
        "escalate_to_forced_return": {"motivation": "Two conversations, return refused each time; deadline passed."},
        "confirm_removal": {"removed_on": today},
        "close": {"reason": "duplicate", "note": "Same person as case 12."},
    }.get(name, {})


ALLOWED = [(name, source, target) for name, (sources, target) in DESIGN.items() for source in sources]
FORBIDDEN = [(name, state) for name, (sources, _t) in DESIGN.items() for state in ALL_STATES if state not in sources]


def test_the_tables_cover_the_whole_machine():
    assert len(ALLOWED) == 25
    assert len(FORBIDDEN) == 12 * 10 - 25
    assert set(State.values) == set(ALL_STATES)


def test_code_has_exactly_the_edges_of_the_design():
    """No edge missing, none added: every (transition, source) → target in the FSM is in DESIGN §3."""
    in_code = {(t.name, t.source, t.target) for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert in_code == set(ALLOWED)
    assert set(STEPS) == set(DESIGN)


@pytest.fixture
def actors(counsellor, manager):
    return {"counsellor": counsellor, "manager": manager}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "target"), ALLOWED, ids=[f"{n}:{s}" for n, s, _t in ALLOWED])
def test_allowed_edge(name, source, target, office, counsellor, actors):
    actor = actors[ACTOR[name]]
    case = f.CaseFactory(office=office, counsellor=counsellor, state=source, **satisfied(name))
    entered_before = case.state_entered_at

    result = services.take_transition(actor=actor, case_id=case.pk, name=name, **inputs(name))

    assert result.state == target
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == target
    assert stored.state_entered_at > entered_before
    events = list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION))
    assert len(events) == 1
    event = events[0]
    assert (event.transition, event.from_state, event.to_state) == (name, source, target)
    assert event.actor == actor
    assert event.actor_label == actor.get_full_name()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "state"), FORBIDDEN, ids=[f"{n}:{s}" for n, s in FORBIDDEN])
def test_forbidden_edge(name, state, office, counsellor, manager):
    # Every guard satisfied, every input given, by a manager (who holds every step's permission):
    # the only thing wrong is the state.
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state, **satisfied(name))

    with pytest.raises(TransitionRefused) as refused:
        services.take_transition(actor=manager, case_id=case.pk, name=name, **inputs(name))

    state_label = str(State(state).label)
    assert refused.value.details == [f"“{STEPS[name].label}” is not possible while the case is in “{state_label}”."]
    assert state_label in str(refused.value)
    assert Case.objects.get(pk=case.pk).state == state
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).exists()


@pytest.mark.django_db
def test_every_transition_has_its_own_service(office, counsellor, actors):
    """The named services (what the API and views call) take the same edges as take_transition."""
    for name, (sources, target) in DESIGN.items():
        service = getattr(services, STEPS[name].service_name)
        case = f.CaseFactory(office=office, counsellor=counsellor, state=sources[0], **satisfied(name))
        assert service(actor=actors[ACTOR[name]], case_id=case.pk, **inputs(name)).state == target


@pytest.mark.django_db
def test_unknown_step(case, manager):
    with pytest.raises(DomainError) as refused:
        services.take_transition(actor=manager, case_id=case.pk, name="teleport")
    assert refused.value.code == "unknown_transition"


@pytest.mark.django_db
def test_transitions_record_what_they_were_given(office, counsellor, manager):
    today = timezone.localdate()
    case = f.CaseFactory(office=office, counsellor=counsellor, state="legal_stay_review")
    services.resume_orientation(actor=counsellor, case_id=case.pk, new_departure_deadline=today + dt.timedelta(days=45))
    assert Case.objects.get(pk=case.pk).departure_deadline == today + dt.timedelta(days=45)

    case = f.CaseFactory(office=office, counsellor=counsellor, state="voluntary_return")
    case = services.confirm_departure(actor=counsellor, case_id=case.pk, departed_on=today - dt.timedelta(days=1),
                                      evidence="border_stamp", destination_country="SN")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.departed_on, stored.departure_evidence, stored.destination_country.code) == (
        today - dt.timedelta(days=1), "border_stamp", "SN")
    assert stored.outcome_at is not None

    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", removal_planned_on=today)
    services.confirm_removal(actor=counsellor, case_id=case.pk, removed_on=today)
    assert Case.objects.get(pk=case.pk).removed_on == today

    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    services.close_case(actor=manager, case_id=case.pk, reason="deceased", note="Reported by the family.")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.close_reason, stored.close_note) == ("deceased", "Reported by the family.")
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert event.note == "Reported by the family." and event.data == {"reason": "deceased"}

    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", **satisfied("escalate_to_forced_return"),
                         escalation_proposed_at=timezone.now())
    services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.")
    stored = Case.objects.get(pk=case.pk)
    assert stored.escalation_motivation == "Refused twice." and stored.escalation_proposed_at is None

    case = f.CaseFactory(office=office, counsellor=counsellor, state="voluntary_return", voluntary_return_agreed_at=timezone.now())
    services.withdraw_voluntary_return(actor=counsellor, case_id=case.pk, reason="Changed their mind.")
    assert Case.objects.get(pk=case.pk).voluntary_return_agreed_at is None
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION).note == "Changed their mind."

    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", removal_planned_on=today,
                         voluntary_return_agreed_at=timezone.now())
    services.agree_voluntary_return(actor=counsellor, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).removal_planned_on is None


@pytest.mark.django_db
@pytest.mark.parametrize("state", ALL_STATES)
def test_check_transitions_offers_the_design_steps_of_each_state(state, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state)
    offered = {check.name: check for check in services.check_transitions(case, manager)}
    assert set(offered) == {name for name, (sources, _t) in DESIGN.items() if state in sources}
    for name, check in offered.items():
        assert check.target == DESIGN[name][1]
        assert check.permitted


@pytest.mark.django_db
def test_check_transitions_says_what_is_allowed_and_why_not(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", voluntary_return_agreed_at=timezone.now())
    checks = {c.name: c for c in services.check_transitions(case, counsellor)}
    assert checks["agree_voluntary_return"].allowed and checks["agree_voluntary_return"].reasons == []
    assert checks["confirm_departure"].allowed
    assert checks["confirm_departure"].inputs == ("departed_on", "evidence", "destination_country")
    assert not checks["escalate_to_forced_return"].permitted
    assert not checks["escalate_to_forced_return"].allowed
    assert "Only an office manager may decide an escalation to forced return." in checks["escalate_to_forced_return"].reasons
    assert not checks["open_legal_stay_review"].allowed
    assert checks["open_legal_stay_review"].reasons == ["No pending legal procedure and no granted route to legal stay is on record."]
    assert not checks["close"].permitted


@pytest.mark.django_db
@pytest.mark.parametrize("state", NON_TERMINAL)
def test_check_transitions_does_no_queries_per_transition(state, office, counsellor, manager, django_assert_num_queries):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state)
    loaded = access_case(actor=manager, case_id=case.pk)
    manager.has_perm("cases.counsel_case")  # the permission cache is loaded once per request
    with django_assert_num_queries(0):
        checks = services.check_transitions(loaded, manager)
    assert checks


@pytest.mark.django_db
def test_a_transition_takes_a_bounded_number_of_queries(office, counsellor, manager, django_assert_max_num_queries):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", **satisfied("escalate_to_forced_return"))
    manager.has_perm("cases.escalate_case")
    # access + lock (1), save (1), its field history row (1), event (1), the counselling receiver's lookup of a
    # planned conversation (1), the open referral that follows the case (1), plus savepoints.
    with django_assert_max_num_queries(9):
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.")
