"""Case histories replayed through the real services, each at the moments it happened.

A story opens a case from an order to leave, plans and logs its conversations, takes the
trajectory steps a counsellor, a manager or a partner would take, and ends in the state it was
drawn for. Every write goes through ``cases.services`` and ``counselling.services`` under a
:class:`~counselling.demo.clock.FrozenClock`, so events, derived fields and guards are exactly what
the application would have produced; nothing is written behind their back.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast
from zoneinfo import ZoneInfo

from django.utils import timezone

from cases import legal
from cases import services as cs
from cases.models import Case, LegalProcedure, Placement, Playbook, State
from cases.services import OrderData, PersonData
from counselling import services as conv
from counselling.models import Conversation
from offices.models import Office
from returnpath.actors import Actor, User
from returnpath.errors import DomainError

BRUSSELS = ZoneInfo("Europe/Brussels")
# Start times inside the offices' consultation hours (09:00–12:30, 13:30–17:00), one hour each.
SLOTS = ((9, 0), (10, 0), (11, 0), (13, 30), (14, 30), (15, 30))


class StoryCut(Exception):
    """The story would run past the present: it ends where it is."""


@dataclass
class CasePlan:
    index: int
    target: str
    group: str
    person: PersonData
    age_days: int
    term_days: int
    term_reason: str
    legal_basis: str
    entry_ban_years: int
    minor_children: int = 0
    unaccompanied_minor: bool = False
    public_order: bool = False
    nuisance: bool = False
    vulnerable: bool = False
    variant: str = ""
    repeat_order: bool = False
    returns_later: bool = False
    # Without a known address, the province whose police issued the order (its office follows the case).
    region: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return f"DEMO-OQT-{self.index:05d}"


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


class Agenda:
    """Free one-hour slots per counsellor across all stories (no double booking, ever)."""

    def __init__(self) -> None:
        self.booked: set[tuple[int, dt.datetime]] = set()
        self.final_plans: Counter[int] = Counter()
        # Counsellors whose agenda must show today, this week and an overdue outcome (the demo logins).
        self.lively: set[int] = set()

    def book(self, counsellor_id: int, earliest: dt.datetime, *, any_day: bool = False) -> dt.datetime:
        day = timezone.localtime(earliest, BRUSSELS).date()
        for _ in range(400):
            if any_day or legal.is_working_day(day):
                for hour, minute in SLOTS:
                    moment = local(day, hour, minute)
                    if moment > earliest and (counsellor_id, moment) not in self.booked:
                        self.booked.add((counsellor_id, moment))
                        return moment
            day += dt.timedelta(days=1)
        raise RuntimeError("agenda full")


class Story:
    """One case's history. ``now`` is the real present; the story stays before it."""

    def __init__(self, *, plan: CasePlan, clock, agenda: Agenda, now: dt.datetime, actors, rng: random.Random):
        self.plan, self.clock, self.agenda, self.now, self.actors, self.rng = plan, clock, agenda, now, actors, rng
        self.limit = now - dt.timedelta(hours=3)
        self._case: Case | None = None
        self.t: dt.datetime = now

    @property
    def case(self) -> Case:
        """The story's case, opened by :meth:`open` (the first step of every story)."""
        assert self._case is not None, "the story has not opened its case yet"
        return self._case

    # --- time ---------------------------------------------------------------------------
    def set_time(self, moment: dt.datetime) -> None:
        if moment > self.limit:
            raise StoryCut
        self.t = moment
        self.clock.set(moment)

    def tick(self, minutes: int = 10) -> None:
        self.set_time(self.t + dt.timedelta(minutes=minutes))

    def later(self, days: float, *, hour: int = 9) -> None:
        """Move to a working-day morning ``days`` later (at least a tick later)."""
        day = legal.next_working_day_on_or_after(timezone.localtime(self.t + dt.timedelta(days=days), BRUSSELS).date())
        moment = max(local(day, hour, self.rng.choice((5, 20, 40))), self.t + dt.timedelta(minutes=10))
        self.set_time(moment)

    # --- who ----------------------------------------------------------------------------
    @property
    def counsellor(self):
        return self.case.counsellor

    @property
    def manager(self):
        return self.actors.managers[self.case.office_id]

    def refresh(self) -> None:
        self._case = Case.objects.select_related("person", "playbook", "office", "counsellor").get(pk=self.case.pk)

    @property
    def mode(self) -> str:
        if self.plan.group == "no_address":
            return Conversation.Mode.PHONE
        if Playbook.for_case(self.case).home_visit_preferred:
            return Conversation.Mode.HOME_VISIT
        return self.rng.choices((Conversation.Mode.OFFICE, Conversation.Mode.PHONE, Conversation.Mode.VIDEO), (85, 10, 5))[0]

    # --- the order ------------------------------------------------------------------------
    def order_data(self, reference: str, notified_on: dt.date) -> OrderData:
        p = self.plan
        return OrderData(
            external_reference=reference,
            issued_on=notified_on - dt.timedelta(days=self.rng.randint(0, 6)),
            notified_on=notified_on,
            departure_term_days=p.term_days,
            term_reason=p.term_reason,
            legal_basis=p.legal_basis,
            entry_ban_years=p.entry_ban_years,
            person=p.person,
            minor_children=p.minor_children,
            unaccompanied_minor=p.unaccompanied_minor,
            public_order=p.public_order,
            nuisance=p.nuisance,
            vulnerable=p.vulnerable,
            target_group="dublin" if p.group == "dublin" else ("open_return_place" if p.group == "open_return_place" else ""),
        )

    def open(self, opened_at: dt.datetime, reference: str) -> None:
        self.set_time(opened_at)
        notified_on = timezone.localdate() - dt.timedelta(days=self.rng.randint(0, 3))
        register = self.actors.register
        if self.plan.region:
            # The register forwards the order of the police zone that intercepted the person.
            register = copy.copy(register)
            register.issuing_region = self.plan.region
        result = cs.open_case_from_order(actor=register.user, data=self.order_data(reference, notified_on), client=register)
        self._case = result.case
        self.refresh()

    def attach_repeat_order(self) -> None:
        self.tick(60)
        cs.open_case_from_order(
            actor=self.actors.register.user, data=self.order_data(f"{self.plan.reference}-B", timezone.localdate()),
            client=self.actors.register,
        )
        self.refresh()

    # --- conversations ----------------------------------------------------------------------
    def planned(self) -> Conversation | None:
        return Conversation.objects.filter(case=self.case, status=Conversation.Status.PLANNED).first()

    def plan_at(self, moment: dt.datetime, *, mode: str | None = None) -> Conversation:
        for _attempt in range(20):
            try:
                return conv.plan_conversation(actor=self.counsellor, case_id=self.case.pk, planned_at=moment, mode=mode or self.mode)
            except DomainError:
                # Someone (an automatic planner) holds that slot: take the next one.
                planned = self.planned()
                if planned is not None:
                    return planned
                moment = self.agenda.book(self.counsellor.pk, moment)
        raise RuntimeError("could not plan a conversation")

    def converse(self, outcome: str = "held", *, gap: float = 7, stance: str = Conversation.Stance.CONSIDERING,
                 vr: bool = True, legal_stay: bool = False, note: str = "", next_step: str = "") -> Conversation:
        conversation = self.planned()
        if conversation is None:
            self.tick(self.rng.randint(5, 40))
            earliest = self.t + dt.timedelta(days=max(gap - 1, 0))
            moment = self.agenda.book(self.counsellor.pk, earliest)
            if moment + dt.timedelta(hours=1) > self.limit:
                raise StoryCut
            conversation = self.plan_at(moment)
        self.set_time(conversation.planned_at + dt.timedelta(minutes=self.rng.randint(45, 70)))
        if outcome == "no_show":
            return conv.record_no_show(actor=self.counsellor, case_id=self.case.pk, conversation_id=conversation.pk,
                                       note="Did not come; no message.")
        held = conv.record_held_conversation(
            actor=self.counsellor, case_id=self.case.pk, conversation_id=conversation.pk, stance=stance,
            discussed_voluntary_return=vr or stance in (Conversation.Stance.AGREES, Conversation.Stance.REFUSES),
            discussed_legal_stay=legal_stay, discussed_forced_return_risk=stance == Conversation.Stance.REFUSES,
            interpreter_used=bool(conversation.interpreter_language), notes=note, agreed_next_step=next_step,
        )
        self.refresh()
        return held

    def plan_next(self) -> None:
        """The case's next conversation, spread so that every agenda has today, this week and some overdue."""
        if self.planned() is not None or self.case.state not in (
            State.REGISTERED, State.ORIENTATION, State.LEGAL_STAY_REVIEW, State.VOLUNTARY_RETURN, State.FORCED_RETURN
        ):
            return
        cid = self.counsellor.pk
        k = self.agenda.final_plans[cid]
        self.agenda.final_plans[cid] += 1
        real_today = timezone.localtime(self.now, BRUSSELS).date()
        # "Today" is the next working day: seeded on a Sunday, the agenda shows Monday, not Sunday.
        today = legal.next_working_day_on_or_after(real_today)
        forced = {0: "today", 1: "week", 2: "today", 3: "overdue", 4: "today"} if cid in self.agenda.lively else {}
        kind = forced.get(k) or self.rng.choices(("today", "week", "later", "overdue"), (8, 55, 32, 5))[0]
        self.tick(self.rng.randint(5, 30))
        if kind == "overdue":
            day = real_today - dt.timedelta(days=self.rng.randint(1, 3))
            while not legal.is_working_day(day):
                day -= dt.timedelta(days=1)
            start = max(local(day, 7), self.t)
            if start >= self.limit:
                kind = "week"
        if kind == "today" and today != real_today:
            start = max(local(today, 7), self.t)
        elif kind == "today":
            if self.now < local(today, SLOTS[-1][0], SLOTS[-1][1]):
                start = max(self.now, self.t)  # still to come today
            elif k == 0 or cid not in self.agenda.lively:
                start = max(local(today, 7), self.t)  # the day is over: earlier today, an outcome to log
            else:
                # Seeded after the day's last slot, a lively agenda still shows what comes: the next working day.
                start = max(local(legal.next_working_day_on_or_after(today + dt.timedelta(days=1)), 7), self.t)
        elif kind == "week":
            start = max(local(today + dt.timedelta(days=self.rng.randint(1, 6)), 7), self.t)
        elif kind == "later":
            start = local(today + dt.timedelta(days=self.rng.randint(8, 25)), 7)
        moment = self.agenda.book(cid, start)
        if kind == "overdue" and moment >= self.limit:
            moment = self.agenda.book(cid, local(today + dt.timedelta(days=1), 7))
        mode = self.mode if legal.is_working_day(timezone.localtime(moment, BRUSSELS).date()) else Conversation.Mode.PHONE
        self.plan_at(moment, mode=mode)
        self.refresh()

    # --- steps ------------------------------------------------------------------------------
    def step(self, service, actor: Actor, minutes: int = 15, **kwargs) -> None:
        self.tick(minutes)
        service(actor=actor, case_id=self.case.pk, **kwargs)
        self.refresh()

    def begin(self, *, gap: float | None = None) -> None:
        """Intake held, orientation started."""
        intake_days = Playbook.for_case(self.case).intake_within_working_days
        self.converse(gap=gap if gap is not None else self.rng.randint(1, max(intake_days, 1)),
                      stance=self.rng.choice((Conversation.Stance.NOT_DISCUSSED, Conversation.Stance.CONSIDERING)),
                      vr=self.rng.random() < 0.5, legal_stay=True,
                      note="Intake: situation, family, health and every option explained with the order.",
                      next_step="Bring documents (passport, birth certificate).")
        self.step(cs.start_orientation, self.counsellor, minutes=5)
        if self.case.unaccompanied_minor:
            self.step(cs.record_guardian, self.counsellor, name="Mrs. A. Janssens (guardian)",
                      contact="Guardianship service, +32 2 000 00 00", appointed_on=timezone.localdate() - dt.timedelta(days=3))

    def minor_return_cleared(self) -> None:
        """An unaccompanied minor returns only after a best-interest decision for return and with the guardian's agreement."""
        if not self.case.unaccompanied_minor:
            return
        self.step(cs.record_best_interest_decision, self.counsellor, outcome=Case.BestInterest.RETURN,
                  note="Durable solution: return with reception by the family, traced and assessed.")
        self.step(cs.record_guardian_agreement, self.counsellor, agreed_on=timezone.localdate(), note="Guardian agrees.")

    def cadence(self) -> int:
        return Playbook.for_case(self.case).cadence_for(self.case.state)

    def follow_ups(self, count: int, *, refusals_ok: bool = True) -> None:
        for _ in range(count):
            roll = self.rng.random()
            if roll < 0.12:
                self.converse("no_show", gap=self.cadence())
                continue
            stance = Conversation.Stance.REFUSES if (refusals_ok and roll < 0.45) else self.rng.choice(
                (Conversation.Stance.CONSIDERING, Conversation.Stance.NOT_DISCUSSED))
            self.converse(gap=self.cadence(), stance=stance, vr=stance != Conversation.Stance.NOT_DISCUSSED,
                          note="Follow-up: options reviewed.", next_step="Think about reintegration support.")

    def agree(self) -> None:
        self.converse(gap=self.cadence(), stance=Conversation.Stance.AGREES, vr=True,
                      note="Wants to go back; reintegration support explained.", next_step="Return desk to book the flight.")
        self.minor_return_cleared()
        self.step(cs.agree_voluntary_return, self.counsellor, minutes=10)

    def lodge(self, kind: str, *, suspensive: bool | None = None, days_ago: int = 3) -> LegalProcedure:
        self.tick(20)
        procedure, _created = cs.record_procedure(
            actor=self.counsellor, case_id=self.case.pk, kind=kind, suspensive=suspensive,
            lodged_on=timezone.localdate() - dt.timedelta(days=days_ago), reference=f"{self.plan.reference}-{kind[:4].upper()}",
        )
        self.refresh()
        return procedure

    def decide(self, procedure: LegalProcedure, decision: str, *, actor: User | None = None) -> None:
        self.tick(30)
        cs.decide_procedure(actor=actor or self.counsellor, case_id=self.case.pk, procedure_id=procedure.pk,
                            decision=decision, decided_on=timezone.localdate())
        self.refresh()

    def _deadline(self) -> dt.date:
        deadline = self.case.departure_deadline
        assert deadline is not None  # set from the order when the case opened (and kept by every step since)
        return deadline

    def escalate(self) -> None:
        """Refusals (as the playbook asks) until the deadline has passed, proposal, manager's decision."""
        # A playbook without a minimum (minors: a best-interest decision instead) refuses as often as the fallback.
        needed = 0 if (self.case.public_order or self.case.nuisance) else (
            Playbook.for_case(self.case).min_conversations_before_escalation
            or cast(int, Playbook.fallback().min_conversations_before_escalation))  # the fallback sets it (two)
        guard = 0
        while guard < 12 and (self.case.voluntary_return_refusals < needed or (
                not self.case.public_order and self._deadline() >= timezone.localdate())):
            guard += 1
            self.converse(gap=self.cadence(), stance=Conversation.Stance.REFUSES, vr=True,
                          note="Refuses voluntary return; consequences of forced return explained.",
                          next_step="Next conversation; escalation to be proposed if nothing changes.")
        self.tick(30)
        if cs.escalation_proposal_refusals(self.case, self.counsellor):
            raise StoryCut  # the law refuses it (e.g. a minor without a best-interest decision): the story ends here
        cs.propose_escalation(actor=self.counsellor, case_id=self.case.pk,
                              motivation="Voluntary return offered and refused repeatedly; departure deadline passed.")
        self.later(1, hour=10)
        self.step(cs.escalate_to_forced_return, self.manager,
                  motivation="Repeated refusals of voluntary return after the deadline; no pending suspensive procedure.")

    def place(self, kind: str) -> Placement | None:
        """A placement in the first facility of the kind whose profile and free places fit."""
        facilities = [f for f in self.actors.facilities if f.kind == kind]
        self.rng.shuffle(facilities)
        for facility in facilities:
            try:
                self.tick(30)
                placement = cs.place_in_facility(actor=self.manager, case_id=self.case.pk, facility_id=facility.pk,
                                                 started_on=timezone.localdate(), motivation="Risk of absconding; removal planned.")
                if not isinstance(placement, Placement):  # four eyes: a second manager confirms
                    deputy = self.actors.deputies.get(self.case.office_id)
                    if deputy is None:
                        self.refresh()
                        return None
                    self.tick(60)
                    cs.confirm_detention_decision(actor=deputy, case_id=self.case.pk, decision_id=placement.pk)
                    placement = self.case.placements.get(ended_on__isnull=True)
            except DomainError:
                continue
            self.refresh()
            return placement
        return None

    def lose_contact(self, *, invalid_address: bool = False) -> None:
        if invalid_address:
            self.tick(30)
            cs.update_address(actor=self.counsellor, case_id=self.case.pk, street=self.case.person.street,
                              postcode=self.case.person.postcode, municipality=self.case.person.municipality, invalid=True)
        else:
            limit = Playbook.for_case(self.case).no_shows_before_lose_contact
            for _ in range(limit):
                self.converse("no_show", gap=self.cadence() if self.case.state != State.REGISTERED else 2)
        self.later(1, hour=11)
        self.step(cs.lose_contact, self.manager, note="Several invitations unanswered; police and municipality informed.")

    def close(self, reason: str, note: str) -> None:
        self.later(self.rng.randint(1, 10), hour=14)
        self.step(cs.close_case, self.manager, reason=reason, note=note)


# --- the stories per final state ----------------------------------------------------------

def story_registered(s: Story) -> None:
    if s.plan.variant == "no_show":
        s.converse("no_show", gap=1)
    s.plan_next()


def story_orientation(s: Story) -> None:
    s.begin()
    if s.plan.repeat_order:
        s.attach_repeat_order()
    variant = s.plan.variant
    if variant == "found_again":
        s.lose_contact()
        s.later(s.rng.randint(10, 30))
        person = s.case.person
        s.step(cs.update_address, s.counsellor, street=f"Rue du Progrès {s.rng.randint(2, 90)}", postcode=person.postcode or "1030",
               municipality=person.municipality or "Schaerbeek")
        s.step(cs.re_establish_contact, s.counsellor, note="New address reported by the person's social worker.")
    elif variant == "withdrawn":
        s.agree()
        s.later(s.rng.randint(5, 15))
        s.step(cs.withdraw_voluntary_return, s.counsellor, reason="Changed their mind after news from home.")
    elif variant == "review_rejected":
        procedure = s.lodge(LegalProcedure.Kind.REGULARISATION_9BIS, days_ago=s.rng.randint(1, 20))
        s.step(cs.open_legal_stay_review, s.counsellor)
        s.later(s.rng.randint(20, 60))
        s.decide(procedure, LegalProcedure.Status.REJECTED)
        s.step(cs.resume_orientation, s.counsellor, new_departure_deadline=timezone.localdate() + dt.timedelta(days=30))
    s.follow_ups(s.rng.randint(0, 2))
    # Proposed only where the law's guards allow the step (a refused step is "not yet", issue 14).
    if variant == "propose_escalation" and not cs.escalation_proposal_refusals(s.case, s.counsellor):
        s.tick(30)
        cs.propose_escalation(actor=s.counsellor, case_id=s.case.pk, motivation="Refuses every option; deadline passed.")
    s.plan_next()


def story_legal_stay_review(s: Story) -> None:
    if s.plan.variant == "law_wins":
        s.begin()
        s.escalate()
        s.later(s.rng.randint(2, 10))
        s.lodge(LegalProcedure.Kind.EXTREME_URGENCY_REQUEST, days_ago=0)  # the case moves by itself
    else:
        s.begin()
        kind = LegalProcedure.Kind.BEST_INTEREST_PROCEDURE if s.plan.unaccompanied_minor else s.rng.choice((
            LegalProcedure.Kind.REGULARISATION_9TER, LegalProcedure.Kind.ASYLUM_APPLICATION,
            LegalProcedure.Kind.REGULARISATION_9BIS, LegalProcedure.Kind.FAMILY_REUNIFICATION))
        s.lodge(kind, days_ago=s.rng.randint(0, 10))
        s.step(cs.open_legal_stay_review, s.counsellor)
        if s.rng.random() < 0.5:
            s.converse(gap=s.cadence(), stance=Conversation.Stance.NOT_DISCUSSED, vr=False, legal_stay=True,
                       note="Procedure pending; explained what it means for the order.")
    s.plan_next()


def story_voluntary_return(s: Story) -> None:
    s.begin()
    if s.plan.repeat_order:
        s.attach_repeat_order()
    s.follow_ups(s.rng.randint(0, 2), refusals_ok=False)
    s.agree()
    if s.plan.variant == "open_return_place":
        s.later(s.rng.randint(1, 5))
        s.place(Office.Kind.OPEN_RETURN_PLACE)
    s.plan_next()


def story_forced_return(s: Story) -> None:
    s.begin()
    if s.plan.repeat_order:
        s.attach_repeat_order()
    s.escalate()
    if s.plan.variant == "placed":
        s.later(s.rng.randint(1, 20))
        s.place(Office.Kind.RETURN_HOUSE if s.case.minor_children else Office.Kind.CLOSED_CENTRE)
    s.plan_next()


def story_untraceable(s: Story) -> None:
    variant = s.plan.variant
    if variant == "never_came":
        s.lose_contact()
        return
    s.begin()
    s.follow_ups(s.rng.randint(0, 2))
    s.lose_contact(invalid_address=variant == "invalid_address")


def story_departed(s: Story) -> None:
    s.begin()
    if s.plan.variant == "direct":
        s.follow_ups(s.rng.randint(0, 1), refusals_ok=False)
        s.later(s.rng.randint(3, 20))
        s.minor_return_cleared()
        evidence = Case.DepartureEvidence.PARTNER_CONFIRMATION
    else:
        s.follow_ups(s.rng.randint(0, 2), refusals_ok=False)
        s.agree()
        placement = s.place(Office.Kind.OPEN_RETURN_PLACE) if s.plan.variant == "via_open_return_place" else None
        s.later(s.rng.randint(7, 28))
        if placement is not None:
            s.step(cs.end_placement, s.manager, placement_id=placement.pk, ended_on=timezone.localdate())
        evidence = s.rng.choice((Case.DepartureEvidence.BOARDING_PASS, Case.DepartureEvidence.PARTNER_CONFIRMATION))
    s.step(cs.confirm_departure, s.counsellor, departed_on=timezone.localdate(), evidence=evidence,
           destination_country=str(s.case.person.nationality))


def story_removed(s: Story) -> None:
    s.begin()
    s.escalate()
    s.later(s.rng.randint(1, 10))
    placement = s.place(Office.Kind.RETURN_HOUSE if s.case.minor_children else Office.Kind.CLOSED_CENTRE)
    s.later(s.rng.randint(10, 45), hour=6)
    if placement is not None:
        s.step(cs.end_placement, s.manager, placement_id=placement.pk, ended_on=timezone.localdate())
    s.step(cs.confirm_removal, s.actors.register.user, removed_on=timezone.localdate())


def story_legal_stay_granted(s: Story) -> None:
    s.begin()
    if s.plan.unaccompanied_minor:
        procedure = s.lodge(LegalProcedure.Kind.BEST_INTEREST_PROCEDURE, days_ago=2)
        s.step(cs.open_legal_stay_review, s.counsellor)
        s.later(s.rng.randint(40, 100))
        s.step(cs.record_best_interest_decision, s.counsellor, outcome=Case.BestInterest.STAY,
               note="Durable solution: stay in Belgium with the guardian's support.")
    else:
        procedure = s.lodge(s.rng.choice((LegalProcedure.Kind.REGULARISATION_9TER, LegalProcedure.Kind.ASYLUM_APPLICATION,
                                          LegalProcedure.Kind.FAMILY_REUNIFICATION)), days_ago=s.rng.randint(0, 15))
        s.step(cs.open_legal_stay_review, s.counsellor)
        s.converse(gap=s.cadence(), stance=Conversation.Stance.NOT_DISCUSSED, vr=False, legal_stay=True,
                   note="Procedure pending.")
        s.later(s.rng.randint(30, 90))
    s.decide(procedure, LegalProcedure.Status.GRANTED, actor=s.actors.register.user)
    s.step(cs.grant_legal_stay, s.counsellor)


CLOSE_NOTES: dict[str, str] = {
    Case.CloseReason.ORDER_WITHDRAWN: "The order was withdrawn after the annulment appeal.",
    Case.CloseReason.OTHER_EU_STATE: "Confirmed to have left for another EU member state.",
    Case.CloseReason.DUPLICATE: "Same person as an earlier case registered under another dossier number.",
    Case.CloseReason.DECEASED: "Deceased; confirmed by the municipality.",
    Case.CloseReason.OTHER: "Residence card issued on other grounds by the municipality.",
}


def story_closed(s: Story) -> None:
    reason = s.plan.variant or Case.CloseReason.OTHER_EU_STATE
    if reason == Case.CloseReason.DUPLICATE:
        s.close(reason, CLOSE_NOTES[reason])
        return
    s.begin()
    s.follow_ups(s.rng.randint(0, 2))
    if reason == Case.CloseReason.ORDER_WITHDRAWN:
        procedure = s.lodge(LegalProcedure.Kind.ANNULMENT_SUSPENSION_APPEAL, days_ago=s.rng.randint(5, 25))
        s.later(s.rng.randint(20, 60))
        s.decide(procedure, LegalProcedure.Status.GRANTED, actor=s.actors.register.user)
    s.close(reason, CLOSE_NOTES[reason])


STORIES: dict[str, Callable[[Story], None]] = {
    State.REGISTERED: story_registered,
    State.ORIENTATION: story_orientation,
    State.LEGAL_STAY_REVIEW: story_legal_stay_review,
    State.VOLUNTARY_RETURN: story_voluntary_return,
    State.FORCED_RETURN: story_forced_return,
    State.UNTRACEABLE: story_untraceable,
    State.DEPARTED: story_departed,
    State.REMOVED: story_removed,
    State.LEGAL_STAY_GRANTED: story_legal_stay_granted,
    State.CLOSED: story_closed,
}

# How long ago a case of each final state was opened (days): enough room for its story.
AGE_DAYS: dict[str, tuple[int, int]] = {
    State.REGISTERED: (1, 5),
    # Open cases are mostly young: what an office sees is mostly cases inside their departure term.
    State.ORIENTATION: (3, 30),
    State.LEGAL_STAY_REVIEW: (30, 150),
    State.VOLUNTARY_RETURN: (10, 40),
    State.FORCED_RETURN: (80, 220),
    State.UNTRACEABLE: (40, 220),
    State.DEPARTED: (70, 360),
    State.REMOVED: (120, 360),
    State.LEGAL_STAY_GRANTED: (150, 360),
    State.CLOSED: (60, 360),
}


def run(plan: CasePlan, *, clock, agenda: Agenda, now: dt.datetime, actors, rng: random.Random) -> Story:
    story = Story(plan=plan, clock=clock, agenda=agenda, now=now, actors=actors, rng=rng)
    opened_day = legal.next_working_day_on_or_after(timezone.localtime(now, BRUSSELS).date() - dt.timedelta(days=plan.age_days))
    opened_at = local(opened_day, 8, rng.randint(0, 50))
    if opened_at > story.limit:
        opened_at = now - dt.timedelta(hours=4)
    story.open(opened_at, plan.reference)
    with contextlib.suppress(StoryCut):  # the present came first: the case stays where its story got to
        STORIES[plan.target](story)
    return story


def summary(stories) -> dict[str, int]:
    counts: defaultdict[str, int] = defaultdict(int)
    for story in stories:
        counts[story.case.state] += 1
    return dict(counts)
