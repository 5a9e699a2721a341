"""Every guard of the trajectory (DESIGN §3), alone and through the services, with the roles that may act."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import guards as g
from cases import services
from cases.models import Case, CaseEvent, Person, Playbook, State
from counselling import services as counselling
from returnpath import roles
from returnpath.errors import DomainError, TransitionRefused
from tests import factories as f
from tests.cases.test_transitions import DESIGN, inputs, satisfied

NOW = timezone.now()
TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def in_memory(group="individual", person=None, **fields) -> Case:
    """A case that is never saved: the guards read the instance only."""
    return Case(person=person or Person(family_name="Doe", postcode="1000"), playbook=Playbook.objects.get(target_group=group),
                target_group=group, **fields)


def refusals(case, name, actor):
    return services.transition_refusals(case, name, actor)


# --- the guards, one by one ----------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "ok"),
    [({}, False), ({"office_id": 1}, False), ({"counsellor_id": 1}, False), ({"office_id": 1, "counsellor_id": 1}, True)],
)
def test_has_office_and_counsellor(fields, ok):
    assert g.has_office_and_counsellor(in_memory(**fields)) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(("held", "ok"), [(0, False), (1, True), (4, True)])
def test_intake_held(held, ok):
    assert g.intake_held(in_memory(held_conversations=held)) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pending", "suspensive", "granted", "has_pending", "no_suspensive", "has_granted"),
    [(0, 0, 0, False, True, False), (1, 0, 0, True, True, False), (2, 1, 0, True, False, False), (0, 0, 1, False, True, True)],
)
def test_procedure_guards(pending, suspensive, granted, has_pending, no_suspensive, has_granted):
    case = in_memory(pending_procedures=pending, pending_suspensive_procedures=suspensive, granted_procedures=granted)
    assert g.has_pending_procedure(case) is has_pending
    assert g.has_no_pending_suspensive_procedure(case) is no_suspensive
    assert g.has_granted_procedure(case) is has_granted


@pytest.mark.django_db
@pytest.mark.parametrize(("agreed_at", "ok"), [(None, False), (NOW, True)])
def test_voluntary_return_agreed(agreed_at, ok):
    assert g.voluntary_return_agreed(in_memory(voluntary_return_agreed_at=agreed_at)) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deadline", "public_order", "nuisance", "ground", "ok"),
    [
        (TODAY - DAY, False, False, "", True),  # passed (Directive art. 8(1))
        (TODAY, False, False, "", False),  # the last day to leave: not passed yet (Directive art. 7(1))
        (TODAY + 5 * DAY, False, False, "", False),
        (None, False, False, "", False),  # unknown deadline: not passed
        # Directive art. 8(2): a public-order flag alone does not cut a granted period short (changed by issue 9).
        (TODAY + 5 * DAY, True, False, "", False),
        (None, True, False, "", False),
        (TODAY + 5 * DAY, False, True, "", False),  # a nuisance flag does not waive the deadline
        (TODAY + 5 * DAY, False, False, "short_term", True),  # order's own term under 7 days (Directive art. 7(4))
        (TODAY + 5 * DAY, False, False, "shortened", True),  # shortening decision (Aliens Act art. 74/14 §3)
    ],
)
def test_departure_deadline_passed_or_cut_short(deadline, public_order, nuisance, ground, ok):
    case = in_memory(departure_deadline=deadline, public_order=public_order, nuisance=nuisance, early_escalation_ground=ground)
    assert g.departure_deadline_passed_or_cut_short(case) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "refused", "flags", "ok"),
    [
        # DESIGN §8: conversations (with voluntary return offered and refused) before escalation.
        ("individual", 1, {}, False),
        ("individual", 2, {}, True),
        ("family", 2, {}, False),
        ("family", 3, {}, True),
        ("open_return_place", 1, {}, False),
        ("open_return_place", 2, {}, True),
        ("public_order", 0, {}, False),
        ("public_order", 1, {}, True),
        ("dublin", 0, {}, False),
        ("dublin", 1, {}, True),
        ("no_address", 1, {}, False),
        ("no_address", 2, {}, True),
        # a public-order or nuisance flag waives the minimum
        ("individual", 0, {"public_order": True}, True),
        ("family", 0, {"nuisance": True}, True),
        ("public_order", 0, {"public_order": True}, True),
        # unaccompanied minors: no minimum, the best-interest decision decides (its own guard)
        ("unaccompanied_minor", 0, {"unaccompanied_minor": True}, True),
        ("unaccompanied_minor", 5, {}, False),  # the minors' playbook on a case not flagged as one: still blocked
        ("unaccompanied_minor", 0, {"best_interest_outcome": "return"}, True),
    ],
)
def test_enough_refusals_unless_flagged(group, refused, flags, ok):
    case = in_memory(group, voluntary_return_refusals=refused, held_conversations=refused, **flags)
    assert g.enough_refusals_unless_flagged(case) is ok


@pytest.mark.django_db
def test_the_playbook_minimum_is_editable():
    Playbook.objects.filter(target_group="individual").update(min_conversations_before_escalation=4)
    assert not g.enough_refusals_unless_flagged(in_memory(voluntary_return_refusals=3))
    assert g.enough_refusals_unless_flagged(in_memory(voluntary_return_refusals=4))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unaccompanied", "outcome", "ok"),
    [
        (False, "", True),
        (True, "", False),
        (True, "stay", False),
        (True, "family_reunification", False),
        (True, "return", True),
    ],
)
def test_best_interest_decided_for_return(unaccompanied, outcome, ok):
    case = in_memory("unaccompanied_minor", unaccompanied_minor=unaccompanied, best_interest_outcome=outcome)
    assert g.best_interest_decided_for_return(case) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "no_shows", "address_invalid", "ok"),
    [
        ("individual", 1, False, False),
        ("individual", 2, False, True),  # DESIGN §8: 2 no-shows
        ("family", 1, False, False),
        ("family", 2, False, True),
        ("unaccompanied_minor", 2, False, True),
        ("open_return_place", 1, False, True),  # 1 no-show
        ("public_order", 1, False, True),
        ("dublin", 0, False, False),
        ("dublin", 1, False, True),
        ("no_address", 1, False, True),
        ("individual", 0, True, True),  # or the address confirmed invalid
    ],
)
def test_contact_lost(group, no_shows, address_invalid, ok):
    case = in_memory(group, person=Person(family_name="Doe", address_invalid=address_invalid), consecutive_no_shows=no_shows)
    assert g.contact_lost(case) is ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("last_contact", "address_updated", "address_invalid", "ok"),
    [
        (None, None, False, False),
        (NOW - 5 * DAY, None, False, False),  # contact from before contact was lost
        (NOW - DAY, None, False, True),  # a held conversation since
        (None, NOW - DAY, False, True),  # a new address since
        (None, NOW - DAY, True, False),  # ...that is itself invalid
        (None, NOW - 5 * DAY, False, False),  # an old address
    ],
)
def test_contact_re_established(last_contact, address_updated, address_invalid, ok):
    person = Person(family_name="Doe", address_updated_at=address_updated, address_invalid=address_invalid)
    case = in_memory(person=person, state=State.UNTRACEABLE, state_entered_at=NOW - 3 * DAY, last_contact_at=last_contact)
    assert g.contact_re_established(case) is ok


def test_every_guard_explains_its_refusal():
    for name in dir(g):
        guard = getattr(g, name)
        if callable(guard) and hasattr(guard, "refusal"):
            assert str(guard.refusal).endswith("."), name


# --- permissions per role ---------------------------------------------------------------------

COUNSELLOR_MAY = {
    "start_orientation", "open_legal_stay_review", "resume_orientation", "grant_legal_stay", "agree_voluntary_return",
    "withdraw_voluntary_return", "confirm_departure", "confirm_removal", "re_establish_contact",
}
PERMISSION = {
    "escalate_to_forced_return": g.may_escalate,
    "lose_contact": g.may_decide,
    "close": g.may_decide,
    "grant_legal_stay": g.may_record_legal,
    "confirm_departure": g.may_record_legal,
    "confirm_removal": g.may_record_legal,
}
ROLE_TABLE = [
    (name, role, role == "manager" or (role == "counsellor" and name in COUNSELLOR_MAY))
    for name in DESIGN
    for role in ("counsellor", "manager", "coordinator")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role", "may"), ROLE_TABLE, ids=[f"{n}:{r}" for n, r, _m in ROLE_TABLE])
def test_permission_per_role(name, role, may, office, counsellor, manager, coordinator):
    actor = {"counsellor": counsellor, "manager": manager, "coordinator": coordinator}[role]
    case = f.CaseFactory(office=office, counsellor=counsellor, state=DESIGN[name][0][0], **satisfied(name))
    if may:
        assert services.take_transition(actor=actor, case_id=case.pk, name=name, **inputs(name)).state == DESIGN[name][1]
        return
    with pytest.raises(TransitionRefused) as refused:
        services.take_transition(actor=actor, case_id=case.pk, name=name, **inputs(name))
    assert refused.value.details == [str(PERMISSION.get(name, g.may_counsel).refusal)]
    assert Case.objects.get(pk=case.pk).state == DESIGN[name][0][0]


@pytest.mark.django_db
def test_a_counsellor_cannot_escalate_but_may_propose_and_a_manager_decides(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", **satisfied("escalate_to_forced_return"))
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=counsellor, case_id=case.pk, motivation="Refused twice.")
    assert refused.value.details == [str(g.may_escalate.refusal)]

    services.propose_escalation(actor=counsellor, case_id=case.pk, motivation="Refused twice, deadline passed.")
    case.refresh_from_db()
    assert case.state == State.ORIENTATION and case.escalation_proposed_at is not None
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATION_PROPOSED, actor=counsellor).count() == 1

    services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Agreed with the proposal.")
    case.refresh_from_db()
    assert case.state == State.FORCED_RETURN and case.escalation_proposed_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "motivation", "who", "reason"),
    [
        ("registered", "Refused.", "counsellor", "Escalation can only be proposed during orientation or voluntary return."),
        ("forced_return", "Refused.", "counsellor", "Escalation can only be proposed during orientation or voluntary return."),
        ("orientation", "  ", "counsellor", "A written motivation is required to escalate to forced return."),
        ("orientation", "Refused.", "coordinator", "Only a counsellor or office manager may take this step."),
        # A step the law's guards refuse is not proposed either (issue 14).
        ("orientation", "Refused.", "counsellor", str(g.departure_deadline_passed_or_cut_short.refusal)),
    ],
)
def test_propose_escalation_refusals(state, motivation, who, reason, office, counsellor, coordinator):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state)
    actor = {"counsellor": counsellor, "coordinator": coordinator}[who]
    with pytest.raises(TransitionRefused) as refused:
        services.propose_escalation(actor=actor, case_id=case.pk, motivation=motivation)
    assert reason in refused.value.details
    assert Case.objects.get(pk=case.pk).escalation_proposed_at is None


# --- the legal guards through the services ---------------------------------------------------

@pytest.mark.django_db
def test_a_pending_suspensive_procedure_blocks_escalation_until_decided(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", **satisfied("escalate_to_forced_return"))
    procedure, _ = services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal",
                                             lodged_on=TODAY - DAY, reference="RVV-1")
    assert procedure.suspensive
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.")
    assert refused.value.details == [str(g.has_no_pending_suspensive_procedure.refusal)]

    services.decide_procedure(actor=counsellor, case_id=case.pk, procedure_id=procedure.pk, decision="rejected", decided_on=TODAY)
    assert services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.").state == State.FORCED_RETURN


@pytest.mark.django_db
def test_a_non_suspensive_procedure_does_not_block_escalation(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", **satisfied("escalate_to_forced_return"))
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="regularisation_9bis", lodged_on=TODAY - DAY)
    assert services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.").state == State.FORCED_RETURN


@pytest.mark.django_db
def test_a_pending_suspensive_procedure_blocks_removal(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", pending_procedures=1,
                         pending_suspensive_procedures=1)
    with pytest.raises(TransitionRefused) as refused:
        services.confirm_removal(actor=counsellor, case_id=case.pk, removed_on=TODAY)
    assert refused.value.details == [str(g.has_no_pending_suspensive_procedure.refusal)]
    assert Case.objects.get(pk=case.pk).state == State.FORCED_RETURN


@pytest.mark.django_db
def test_resume_orientation_waits_for_the_suspensive_procedure(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="legal_stay_review", pending_procedures=1,
                         pending_suspensive_procedures=1)
    with pytest.raises(TransitionRefused) as refused:
        services.resume_orientation(actor=counsellor, case_id=case.pk, new_departure_deadline=TODAY + 30 * DAY)
    assert refused.value.details == [str(g.has_no_pending_suspensive_procedure.refusal)]


@pytest.mark.django_db
def test_an_unaccompanied_minor_is_escalated_only_after_a_best_interest_decision_for_return(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", target_group="unaccompanied_minor",
                         unaccompanied_minor=True, departure_deadline=TODAY - DAY, voluntary_return_refusals=5)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Guardian informed.")
    # One reason, the true one: the refusals are there, the best-interest decision is not.
    assert refused.value.details == [str(g.best_interest_decided_for_return.refusal)]

    services.record_best_interest_decision(actor=counsellor, case_id=case.pk, outcome="return", note="Family traced in Guinea.")
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.BEST_INTEREST_DECIDED).count() == 1
    assert services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Guardian informed.").state == State.FORCED_RETURN


@pytest.mark.django_db
def test_best_interest_decision_only_for_an_unaccompanied_minor(case, counsellor):
    with pytest.raises(DomainError) as refused:
        services.record_best_interest_decision(actor=counsellor, case_id=case.pk, outcome="return")
    assert refused.value.code == "not_applicable"


@pytest.mark.django_db
def test_escalation_counts_held_conversations_where_return_was_offered_and_refused(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", departure_deadline=TODAY - DAY)

    def held(stance, discussed=True):
        counselling.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance=stance,
                                             discussed_voluntary_return=discussed, held_at=timezone.now() - dt.timedelta(hours=1))

    held("refuses")
    held("considering")
    held("not_discussed", discussed=False)
    case.refresh_from_db()
    assert (case.held_conversations, case.voluntary_return_refusals) == (3, 1)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused.")
    assert refused.value.details == [g.refusal_text(g.enough_refusals_unless_flagged, case)]
    assert "refused in 1 held conversation(s)" in refused.value.details[0] and "asks for 2" in refused.value.details[0]

    held("refuses")
    assert services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.").state == State.FORCED_RETURN


@pytest.mark.django_db
def test_a_refused_escalation_lists_every_failing_guard(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", pending_procedures=1,
                         pending_suspensive_procedures=1, departure_deadline=TODAY + 10 * DAY, voluntary_return_refusals=0)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=counsellor, case_id=case.pk, motivation="")
    assert sorted(refused.value.details) == sorted([
        str(g.may_escalate.refusal),
        str(g.has_no_pending_suspensive_procedure.refusal),
        str(g.departure_deadline_passed_or_cut_short.refusal),
        g.refusal_text(g.enough_refusals_unless_flagged, case),
        "A written motivation is required to escalate to forced return.",
    ])
    assert refused.value.status == 409 and refused.value.code == "transition_refused"


@pytest.mark.django_db
def test_a_refused_escalation_of_a_minor_lists_every_failing_guard(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="voluntary_return", target_group="unaccompanied_minor",
                         unaccompanied_minor=True, pending_procedures=1, pending_suspensive_procedures=1,
                         departure_deadline=TODAY + 10 * DAY)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="")
    assert sorted(refused.value.details) == sorted([
        str(g.has_no_pending_suspensive_procedure.refusal),
        str(g.departure_deadline_passed_or_cut_short.refusal),
        str(g.best_interest_decided_for_return.refusal),
        "A written motivation is required to escalate to forced return.",
    ])


@pytest.mark.django_db
def test_a_refused_start_and_removal_list_every_failing_guard(office, counsellor, coordinator):
    case = f.CaseFactory(office=None, counsellor=None, state="registered")
    with pytest.raises(TransitionRefused) as refused:
        services.start_orientation(actor=coordinator, case_id=case.pk)
    assert sorted(refused.value.details) == sorted([
        str(g.may_counsel.refusal), str(g.has_office_and_counsellor.refusal), str(g.intake_held.refusal),
    ])

    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", pending_procedures=1,
                         pending_suspensive_procedures=1)
    with pytest.raises(TransitionRefused) as refused:
        services.confirm_removal(actor=coordinator, case_id=case.pk, removed_on=None)
    assert sorted(refused.value.details) == sorted([
        str(g.may_record_legal.refusal), str(g.has_no_pending_suspensive_procedure.refusal), "Give the removal date.",
    ])


@pytest.mark.django_db
def test_the_deadline_guard_through_the_service(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", voluntary_return_refusals=2,
                         departure_deadline=TODAY)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice.")
    assert refused.value.details == [str(g.departure_deadline_passed_or_cut_short.refusal)]

    # Directive art. 8(2): the flag alone no longer cuts the period short (issue 9); a shortening decision does.
    flagged = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", public_order=True,
                            departure_deadline=TODAY + 20 * DAY)
    with pytest.raises(TransitionRefused):
        services.escalate_to_forced_return(actor=manager, case_id=flagged.pk, motivation="Public order.")
    shortened = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", public_order=True,
                              departure_deadline=TODAY + 20 * DAY, early_escalation_ground="shortened")
    assert services.escalate_to_forced_return(actor=manager, case_id=shortened.pk, motivation="Public order.").state == State.FORCED_RETURN


@pytest.mark.django_db
def test_lose_contact_after_an_invalid_address(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    with pytest.raises(TransitionRefused) as refused:
        services.lose_contact(actor=manager, case_id=case.pk)
    assert refused.value.details == [g.refusal_text(g.contact_lost, case)]
    services.update_address(actor=counsellor, case_id=case.pk, street="Rue Haute 10", postcode="1000",
                            municipality="Brussels", invalid=True)
    assert services.lose_contact(actor=manager, case_id=case.pk).state == State.UNTRACEABLE


@pytest.mark.django_db
def test_lose_contact_after_the_playbooks_no_shows(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    for _ in range(2):
        conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(hours=2))
        counselling.record_no_show(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk)
        if _ == 0:
            with pytest.raises(TransitionRefused):
                services.lose_contact(actor=manager, case_id=case.pk)
    case.refresh_from_db()
    assert case.lose_contact_proposed_at is not None
    case = services.lose_contact(actor=manager, case_id=case.pk)
    assert case.state == State.UNTRACEABLE and case.lose_contact_proposed_at is None


@pytest.mark.django_db
def test_re_establish_contact_needs_a_held_conversation_or_a_new_address(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="untraceable", state_entered_at=timezone.now() - 3 * DAY,
                         last_contact_at=timezone.now() - 10 * DAY, consecutive_no_shows=2)
    with pytest.raises(TransitionRefused) as refused:
        services.re_establish_contact(actor=counsellor, case_id=case.pk)
    assert refused.value.details == [str(g.contact_re_established.refusal)]

    services.update_address(actor=counsellor, case_id=case.pk, street="", postcode="1000", municipality="", invalid=True)
    with pytest.raises(TransitionRefused):
        services.re_establish_contact(actor=counsellor, case_id=case.pk)

    counselling.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="not_discussed")
    case = services.re_establish_contact(actor=counsellor, case_id=case.pk)
    assert case.state == State.ORIENTATION and case.consecutive_no_shows == 0

    other = f.CaseFactory(office=office, counsellor=counsellor, state="untraceable", state_entered_at=timezone.now() - 3 * DAY)
    services.update_address(actor=counsellor, case_id=other.pk, street="Rue Neuve 3", postcode="1000", municipality="Brussels")
    assert services.re_establish_contact(actor=counsellor, case_id=other.pk).state == State.ORIENTATION


# --- what the person taking a step must give -------------------------------------------------

INPUT_TABLE = [
    ("resume_orientation", {"new_departure_deadline": None}, ["Set the new departure deadline."]),
    ("resume_orientation", {"new_departure_deadline": TODAY}, ["The new departure deadline must be in the future."]),
    ("resume_orientation", {"new_departure_deadline": TODAY - DAY}, ["The new departure deadline must be in the future."]),
    ("withdraw_voluntary_return", {"reason": ""}, ["Give the reason why voluntary return is withdrawn."]),
    ("withdraw_voluntary_return", {"reason": "   "}, ["Give the reason why voluntary return is withdrawn."]),
    ("confirm_departure", {"departed_on": None, "evidence": "boarding_pass"}, ["Give the departure date."]),
    ("confirm_departure", {"departed_on": TODAY + DAY, "evidence": "boarding_pass"}, ["The departure date cannot be in the future."]),
    ("confirm_departure", {"departed_on": TODAY, "evidence": ""},
     ["Choose the evidence of departure (boarding pass, border stamp or partner confirmation)."]),
    ("confirm_departure", {"departed_on": None, "evidence": "selfie"},
     ["Give the departure date.", "Choose the evidence of departure (boarding pass, border stamp or partner confirmation)."]),
    ("escalate_to_forced_return", {"motivation": ""}, ["A written motivation is required to escalate to forced return."]),
    ("escalate_to_forced_return", {"motivation": " \n"}, ["A written motivation is required to escalate to forced return."]),
    ("confirm_removal", {"removed_on": None}, ["Give the removal date."]),
    ("confirm_removal", {"removed_on": TODAY + DAY}, ["The removal date cannot be in the future."]),
    ("close", {"reason": "bored", "note": "x"}, ["Choose a reason for closing from the list."]),
    ("close", {"reason": "duplicate", "note": ""}, ["Explain in a few words why the case is closed."]),
    ("close", {"reason": "", "note": " "},
     ["Choose a reason for closing from the list.", "Explain in a few words why the case is closed."]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "given", "errors"), INPUT_TABLE, ids=[f"{n}-{i}" for i, (n, _g, _e) in enumerate(INPUT_TABLE)])
def test_required_inputs(name, given, errors, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=DESIGN[name][0][0], **satisfied(name))
    with pytest.raises(TransitionRefused) as refused:
        services.take_transition(actor=manager, case_id=case.pk, name=name, **given)
    assert sorted(refused.value.details) == sorted(errors)
    assert Case.objects.get(pk=case.pk).state == DESIGN[name][0][0]


@pytest.mark.django_db
def test_the_coordinator_group_has_no_step_permissions(coordinator):
    assert coordinator.groups.filter(name=roles.NATIONAL_COORDINATOR).exists()
    for guard in (g.may_counsel, g.may_escalate, g.may_decide, g.may_record_legal):
        assert not guard(None, coordinator)


@pytest.mark.django_db
def test_an_inactive_manager_may_take_no_step(manager):
    manager.is_active = False
    for guard in (g.may_counsel, g.may_escalate, g.may_decide, g.may_record_legal):
        assert not guard(None, manager)


@pytest.mark.django_db
def test_after_an_escalation_voluntary_return_needs_a_new_agreement(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="voluntary_return", voluntary_return_agreed_at=NOW - 9 * DAY,
                         **satisfied("escalate_to_forced_return"))
    services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Did not show up for the flight.")
    with pytest.raises(TransitionRefused) as refused:
        services.agree_voluntary_return(actor=counsellor, case_id=case.pk)
    assert refused.value.details == [str(g.voluntary_return_agreed.refusal)]

    counselling.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=None, stance="agrees",
                                         discussed_voluntary_return=True)
    assert services.agree_voluntary_return(actor=counsellor, case_id=case.pk).state == State.VOLUNTARY_RETURN


@pytest.mark.django_db
def test_a_departure_cannot_predate_the_order_nor_go_to_belgium(office, counsellor):
    import datetime as dt

    from django.utils import timezone

    from cases import services
    from returnpath.errors import TransitionRefused

    case = f.CaseFactory(office=office, counsellor=counsellor, state="voluntary_return")
    f.OrderFactory(case=case, notified_on=timezone.localdate() - dt.timedelta(days=10), issued_on=timezone.localdate() - dt.timedelta(days=11))
    with pytest.raises(TransitionRefused) as refused:
        services.confirm_departure(
            actor=counsellor, case_id=case.pk, departed_on=dt.date(2001, 1, 1), evidence="boarding_pass", destination_country="BE"
        )
    reasons = " ".join(refused.value.details)
    assert "before the order was notified" in reasons and "cannot be Belgium" in reasons
