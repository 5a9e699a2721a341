"""Legal procedures (the law wins over the workflow) and placements in facilities (DESIGN §3)."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import legal, services
from cases.models import Case, CaseEvent, LegalProcedure, Placement, State
from offices.models import Office
from returnpath.errors import Conflict, DomainError, TransitionRefused
from tests import factories as f

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _placements_take_effect_at_once(settings):
    """These tests are about where a person may be placed; four eyes on detention (on by default,
    issue 12) has its own tests in test_detention.py."""
    settings.RETURNPATH_FOUR_EYES_DETENTION = False


def kinds(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


# --- legal procedures ------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "suspensive", "moves"),
    [
        ("asylum_appeal", None, True),  # full-jurisdiction appeal: always suspensive
        ("extreme_urgency_request", None, True),
        ("asylum_application", None, True),
        ("annulment_suspension_appeal", None, False),  # not suspensive by itself
        ("cassation_appeal", None, False),
        ("regularisation_9bis", None, False),
        ("regularisation_9ter", None, False),  # not before it is declared admissible
        ("regularisation_9ter", True, True),  # declared admissible
        ("annulment_suspension_appeal", True, True),  # the sender says it suspends
    ],
)
def test_a_suspensive_procedure_in_forced_return_moves_the_case_to_legal_stay_review(kind, suspensive, moves, office, counsellor):
    planned = TODAY + 10 * DAY
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", removal_planned_on=planned)

    procedure, created = services.record_procedure(actor=counsellor, case_id=case.pk, kind=kind, lodged_on=TODAY - DAY,
                                                   suspensive=suspensive, reference="RVV-123")

    assert created and procedure.status == LegalProcedure.Status.PENDING
    case.refresh_from_db()
    assert (case.pending_procedures, case.pending_suspensive_procedures) == (1, 1 if moves else 0)
    if moves:
        assert case.state == State.LEGAL_STAY_REVIEW
        assert case.removal_planned_on is None
        event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
        assert (event.transition, event.from_state, event.to_state) == ("open_legal_stay_review", "forced_return", "legal_stay_review")
        assert kinds(case) == [CaseEvent.Kind.PROCEDURE_LODGED, CaseEvent.Kind.TRANSITION]
    else:
        assert case.state == State.FORCED_RETURN
        assert case.removal_planned_on == planned
        assert kinds(case) == [CaseEvent.Kind.PROCEDURE_LODGED]


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["orientation", "voluntary_return", "untraceable", "registered"])
def test_a_suspensive_procedure_outside_forced_return_only_blocks(state, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY)
    case.refresh_from_db()
    assert case.state == state and case.pending_suspensive_procedures == 1


@pytest.mark.django_db
def test_a_9ter_declared_admissible_later_suspends_removal(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", removal_planned_on=TODAY + 3 * DAY)
    first, created = services.record_procedure(actor=counsellor, case_id=case.pk, kind="regularisation_9ter",
                                               lodged_on=TODAY - 5 * DAY, reference="9TER-7")
    assert created and not first.suspensive
    assert Case.objects.get(pk=case.pk).state == State.FORCED_RETURN

    again, created = services.record_procedure(actor=counsellor, case_id=case.pk, kind="regularisation_9ter",
                                               lodged_on=TODAY - 5 * DAY, reference="9TER-7", suspensive=True)
    assert not created and again.pk == first.pk and again.suspensive
    case.refresh_from_db()
    assert case.state == State.LEGAL_STAY_REVIEW and case.removal_planned_on is None
    assert case.procedures.count() == 1


@pytest.mark.django_db
def test_reporting_the_same_procedure_again_changes_nothing(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY, reference="RVV-9")
    events = CaseEvent.objects.filter(case=case).count()
    _procedure, created = services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY,
                                                   reference="RVV-9")
    assert not created
    assert case.procedures.count() == 1
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.django_db
def test_from_review_to_orientation_or_legal_stay(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return")
    appeal, _ = services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY - 2 * DAY)
    assert Case.objects.get(pk=case.pk).state == State.LEGAL_STAY_REVIEW

    with pytest.raises(TransitionRefused):
        services.grant_legal_stay(actor=counsellor, case_id=case.pk)
    with pytest.raises(TransitionRefused):
        services.resume_orientation(actor=counsellor, case_id=case.pk, new_departure_deadline=TODAY + 30 * DAY)

    services.decide_procedure(actor=counsellor, case_id=case.pk, procedure_id=appeal.pk, decision="rejected", decided_on=TODAY)
    case.refresh_from_db()
    assert (case.pending_procedures, case.pending_suspensive_procedures, case.granted_procedures) == (0, 0, 0)
    assert services.resume_orientation(actor=counsellor, case_id=case.pk,
                                       new_departure_deadline=TODAY + 30 * DAY).state == State.ORIENTATION

    # A regularisation lodged and granted in one report.
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="regularisation_9bis", lodged_on=TODAY - 20 * DAY)
    services.open_legal_stay_review(actor=counsellor, case_id=case.pk)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="family_reunification", lodged_on=TODAY - 9 * DAY,
                              decision="granted", decided_on=TODAY)
    case.refresh_from_db()
    assert case.granted_procedures == 1
    assert services.grant_legal_stay(actor=counsellor, case_id=case.pk).state == State.LEGAL_STAY_GRANTED


@pytest.mark.django_db
def test_an_invalid_procedure_lists_every_problem(case, counsellor):
    with pytest.raises(DomainError) as refused:
        services.record_procedure(actor=counsellor, case_id=case.pk, kind="petition", lodged_on=TODAY + DAY,
                                  decision="granted", decided_on=None)
    assert sorted(refused.value.details) == sorted([
        "Unknown kind of procedure.", "The lodging date cannot be in the future.", "Give the date of the decision.",
    ])
    with pytest.raises(DomainError) as refused:
        services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY - DAY,
                                  decision="", decided_on=TODAY - 2 * DAY)
    assert sorted(refused.value.details) == sorted([
        "A decision date needs a decision.", "A procedure cannot be decided before it was lodged.",
    ])
    assert not case.procedures.exists()


@pytest.mark.django_db
def test_procedures_are_refused_on_a_closed_case_and_for_a_coordinator(office, counsellor, coordinator):
    closed = f.CaseFactory(office=office, counsellor=counsellor, state="closed")
    with pytest.raises(Conflict):
        services.record_procedure(actor=counsellor, case_id=closed.pk, kind="asylum_appeal", lodged_on=TODAY)
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    with pytest.raises(DomainError) as refused:
        services.record_procedure(actor=coordinator, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY)
    assert refused.value.code == "forbidden"


@pytest.mark.django_db
def test_a_procedure_is_decided_once(case, counsellor):
    procedure, _ = services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY - DAY,
                                             reference="R-1")
    with pytest.raises(DomainError) as refused:
        services.decide_procedure(actor=counsellor, case_id=case.pk, procedure_id=procedure.pk, decision="granted",
                                  decided_on=TODAY - 2 * DAY)
    assert refused.value.code == "invalid_decision"
    services.decide_procedure(actor=counsellor, case_id=case.pk, procedure_id=procedure.pk, decision="rejected", decided_on=TODAY)
    with pytest.raises(Conflict):
        services.decide_procedure(actor=counsellor, case_id=case.pk, procedure_id=procedure.pk, decision="granted", decided_on=TODAY)
    with pytest.raises(Conflict):
        services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY - DAY,
                                  reference="R-1", decision="granted", decided_on=TODAY)
    # The same decision again is a retry, not a conflict.
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=TODAY - DAY,
                              reference="R-1", decision="rejected", decided_on=TODAY)


# --- placements ------------------------------------------------------------------------------

def facility(kind=Office.Kind.CLOSED_CENTRE, capacity=10, restriction="", **kwargs):
    return f.FacilityFactory(kind=kind, capacity=capacity, restriction=restriction, **kwargs)


@pytest.fixture
def forced(office, counsellor):
    def make(sex="M", **fields):
        return f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", person=f.PersonFactory(sex=sex), **fields)
    return make


PLACEMENT_TABLE = [
    # (facility kind, restriction, sex, case fields, refusal or None)
    ("closed_centre", "men_only", "M", {}, None),
    ("closed_centre", "men_only", "F", {}, "{f} only takes men."),
    ("closed_centre", "men_only", "X", {}, "{f} only takes men."),
    ("closed_centre", "women_only", "F", {}, None),
    ("closed_centre", "women_only", "M", {}, "{f} only takes women."),
    ("closed_centre", "", "F", {}, None),
    ("closed_centre", "", "M", {"minor_children": 2},
     "Families with minor children are never held in a closed centre (the pro-active return law, in force since 20 July 2024): choose a return house."),
    ("closed_centre", "", "M", {"unaccompanied_minor": True}, "An unaccompanied minor is never held in a closed centre."),
    ("return_house", "families_only", "F", {"minor_children": 1}, None),
    ("return_house", "families_only", "M", {}, "{f} only takes families with minor children."),
    ("open_return_place", "", "M", {}, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "restriction", "sex", "fields", "refusal"), PLACEMENT_TABLE)
def test_placement_restrictions(kind, restriction, sex, fields, refusal, forced, manager):
    place = facility(kind=kind, restriction=restriction)
    case = forced(sex=sex, **fields)
    if refusal is None:
        placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk)
        assert placement.is_current and placement.facility == place and placement.started_on == TODAY
        return
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk)
    assert refused.value.details == [refusal.format(f=place.name)]
    assert not Placement.objects.filter(case=case).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "kind", "ok"),
    [
        ("forced_return", "closed_centre", True),
        ("forced_return", "return_house", True),
        ("forced_return", "open_return_place", True),
        ("voluntary_return", "open_return_place", True),
        ("voluntary_return", "closed_centre", False),
        ("voluntary_return", "return_house", False),
        ("orientation", "open_return_place", False),
        ("orientation", "closed_centre", False),
        ("legal_stay_review", "closed_centre", False),
        ("untraceable", "closed_centre", False),
    ],
)
def test_placements_belong_to_forced_return(state, kind, ok, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state, minor_children=1 if kind == "return_house" else 0)
    place = facility(kind=kind)
    if ok:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk)
        return
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk)
    assert len(refused.value.details) == 1 and "only possible in forced return" in refused.value.details[0]


@pytest.mark.django_db
def test_a_full_facility_is_refused_until_a_place_is_freed(forced, manager):
    place = facility(capacity=2)
    first, second, third = forced(), forced(), forced()
    services.place_in_facility(actor=manager, case_id=first.pk, facility_id=place.pk)
    services.place_in_facility(actor=manager, case_id=second.pk, facility_id=place.pk)
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=third.pk, facility_id=place.pk)
    assert refused.value.details == [f"{place.name} is full (2 of 2 places taken)."]

    current = first.placements.get()
    services.end_placement(actor=manager, case_id=first.pk, placement_id=current.pk)
    services.place_in_facility(actor=manager, case_id=third.pk, facility_id=place.pk)
    assert Placement.objects.filter(facility=place, ended_on__isnull=True).count() == 2


@pytest.mark.django_db
def test_every_placement_refusal_at_once(office, counsellor, manager):
    place = facility(capacity=1, restriction="men_only")
    f.PlacementFactory(facility=place, case=f.CaseFactory(office=office, counsellor=counsellor, state="forced_return"))
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", person=f.PersonFactory(sex="F"), minor_children=1)
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk, started_on=TODAY + DAY)
    assert sorted(refused.value.details) == sorted([
        "A placement in a closed centre is only possible in forced return.",
        "Families with minor children are never held in a closed centre (the pro-active return law, in force since 20 July 2024): choose a return house.",
        f"{place.name} only takes men.",
        f"{place.name} is full (1 of 1 places taken).",
        "A placement cannot start in the future.",
    ])


@pytest.mark.django_db
def test_not_a_facility_and_not_in_service(forced, office, manager):
    case = forced()
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=office.pk)
    assert refused.value.details == [f"{office.name} has no places: choose a closed centre, return house or open return place."]
    closed = facility(is_active=False)
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=closed.pk)
    assert refused.value.details == [f"{closed.name} is not in service."]
    with pytest.raises(DomainError):
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=999_999)


@pytest.mark.django_db
def test_only_a_manager_places_and_ends_placements(forced, counsellor, manager):
    case, place = forced(), facility()
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=counsellor, case_id=case.pk, facility_id=place.pk)
    assert refused.value.details == ["Only an office manager may decide a placement."]
    placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk)
    with pytest.raises(DomainError) as refused:
        services.end_placement(actor=counsellor, case_id=case.pk, placement_id=placement.pk)
    assert refused.value.code == "forbidden"
    assert Placement.objects.get(pk=placement.pk).is_current


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "days_ago", "recorded"),
    [
        ("closed_centre", 3, True),  # Aliens Act art. 7: 2 months from the start
        ("closed_centre", 70, True),
        ("return_house", 3, True),  # a return house is detention too (Aliens Act art. 74/8)
        ("open_return_place", 3, False),  # not detention
    ],
)
def test_the_detention_limit_is_recorded(kind, days_ago, recorded, forced, manager):
    """The limit is never chosen at placement (issue 9): 2 months from the start of the title."""
    case = forced(minor_children=2 if kind == "return_house" else 0)
    place = facility(kind=kind)
    started = TODAY - days_ago * DAY
    placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk, started_on=started)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PLACEMENT_STARTED)
    assert event.data["placement"] == placement.pk and event.data["facility"] == place.name
    if recorded:
        assert event.data["detention_limit"] == legal.detention_limit(started_on=started).isoformat()
        assert placement.detention_period.started_on == started
    else:
        assert "detention_limit" not in event.data and placement.detention_period is None


@pytest.mark.django_db
def test_ending_a_placement(forced, manager):
    case, place = forced(), facility()
    placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk, started_on=TODAY - 10 * DAY)
    with pytest.raises(DomainError) as refused:
        services.end_placement(actor=manager, case_id=case.pk, placement_id=placement.pk, ended_on=TODAY - 11 * DAY)
    assert refused.value.code == "invalid_date"

    ended = services.end_placement(actor=manager, case_id=case.pk, placement_id=placement.pk, ended_on=TODAY - DAY)
    assert ended.ended_on == TODAY - DAY and not Placement.objects.get(pk=placement.pk).is_current
    assert kinds(case)[-2:] == [CaseEvent.Kind.PLACEMENT_ENDED, CaseEvent.Kind.DETENTION_ENDED]
    with pytest.raises(DomainError) as refused:
        services.end_placement(actor=manager, case_id=case.pk, placement_id=placement.pk)
    assert refused.value.code == "not_found"


@pytest.mark.django_db
def test_moving_between_facilities(forced, manager):
    case = forced()
    first, second = facility(capacity=1), facility(capacity=1)
    old = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=first.pk, started_on=TODAY - 20 * DAY)
    new = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=second.pk, started_on=TODAY - 5 * DAY)

    old.refresh_from_db()
    assert old.ended_on == TODAY - 5 * DAY
    assert new.is_current and new.facility == second
    assert case.placements.filter(ended_on__isnull=True).get() == new
    assert kinds(case) == [CaseEvent.Kind.PLACEMENT_STARTED, CaseEvent.Kind.PLACEMENT_ENDED, CaseEvent.Kind.PLACEMENT_STARTED]
    # The first centre's only place is free again.
    services.place_in_facility(actor=manager, case_id=forced().pk, facility_id=first.pk)


ENDING_STEPS = [
    ("confirm_removal", "forced_return", "closed_centre", {"removed_on": TODAY - DAY}, TODAY - DAY),
    ("close", "forced_return", "closed_centre", {"reason": "deceased", "note": "Died in hospital."}, TODAY),
    ("confirm_departure", "voluntary_return", "open_return_place",
     {"departed_on": TODAY, "evidence": "boarding_pass"}, TODAY),
    ("lose_contact", "voluntary_return", "open_return_place", {}, TODAY),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "state", "kind", "given", "ended_on"), ENDING_STEPS, ids=[r[0] for r in ENDING_STEPS])
def test_a_case_that_ends_frees_its_place(name, state, kind, given, ended_on, office, counsellor, manager):
    """A removed, departed, closed or vanished person no longer takes a place: the next case gets it."""
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", consecutive_no_shows=2)
    place = facility(kind=kind, capacity=1)
    placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk, started_on=TODAY - 20 * DAY)
    if state == "voluntary_return":
        Case.objects.filter(pk=case.pk).update(state=state)

    services.take_transition(actor=manager, case_id=case.pk, name=name, **given)

    placement.refresh_from_db()
    assert placement.ended_on == ended_on
    assert CaseEvent.Kind.PLACEMENT_ENDED in kinds(case)[-2:]
    services.place_in_facility(actor=manager, case_id=f.CaseFactory(office=office, counsellor=counsellor, state="forced_return").pk,
                               facility_id=place.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "fields", "given"),
    [
        ("open_legal_stay_review", {"pending_procedures": 1}, {}),  # detention goes on during the appeal
        ("agree_voluntary_return", {"voluntary_return_agreed_at": timezone.now()}, {}),
    ],
)
def test_a_case_that_goes_on_keeps_its_place(name, fields, given, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", **fields)
    placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=facility().pk)
    services.take_transition(actor=manager, case_id=case.pk, name=name, **given)
    assert Placement.objects.get(pk=placement.pk).is_current
