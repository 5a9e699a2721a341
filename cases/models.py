"""The case and its trajectory (states, transitions, the step lists), target groups, playbooks.

Transitions change fields in memory only; every save, event and side effect happens in
``cases.services``. This module is also the app's model index: every other subject has its own
module (people, orders, procedures, placements, events, accesses, legal titles, the return work;
API infrastructure in ``cases.api.models``), imported at the end so Django registers it
(decision 095).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMFieldMixin, FSMModelMixin

from cases import steps
from cases.people import Person, fold_for_search  # noqa: F401  (Person before Case; the rest at the end)
from cases.states import COUNSELLED_STATES, OPEN_STATES, TERMINAL_STATES, State
from returnpath.choices import ChoiceLabels


class TargetGroup(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual at a known address")
    FAMILY = "family", _("Family with minor children")
    UNACCOMPANIED_MINOR = "unaccompanied_minor", _("Unaccompanied minor")
    OPEN_RETURN_PLACE = "open_return_place", _("Resident of an open return place")
    PUBLIC_ORDER = "public_order", _("Released from prison / public-order profile")
    DUBLIN = "dublin", _("Dublin transfer")
    NO_ADDRESS = "no_address", _("No known address")


class Playbook(models.Model):
    """Policy per target group (DESIGN §8); editable in the admin."""

    target_group = models.CharField(_("target group"), max_length=32, choices=TargetGroup.choices, unique=True)
    intake_within_working_days = models.PositiveSmallIntegerField(_("intake within (working days)"), default=5)
    cadence_days = models.PositiveSmallIntegerField(_("follow-up every (days)"), default=14)
    cadence_by_state = models.JSONField(
        _("cadence per state (days)"), default=dict, blank=True, help_text=_('e.g. {"voluntary_return": 7}')
    )
    final_week_cadence_days = models.PositiveSmallIntegerField(
        _("cadence in the last 7 days before the deadline (days)"), default=3
    )
    min_conversations_before_escalation = models.PositiveSmallIntegerField(
        _("conversations with refused voluntary return before escalation"),
        null=True,
        blank=True,
        help_text=_("Empty: escalation blocked until a best-interest decision for return."),
    )
    no_shows_before_lose_contact = models.PositiveSmallIntegerField(_("no-shows before losing contact is proposed"), default=2)
    reminder_lead_hours = models.PositiveSmallIntegerField(_("reminder lead time (hours)"), default=48)
    home_visit_preferred = models.BooleanField(_("home visit preferred"), default=False)
    conversation_minutes = models.PositiveSmallIntegerField(_("conversation length (minutes)"), default=60)

    class Meta:
        ordering = ["target_group"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return str(self.get_target_group_display())

    def cadence_for(self, state: str) -> int:
        return int(self.cadence_by_state.get(state, self.cadence_days))

    @classmethod
    def fallback(cls) -> Playbook:
        """The policy of a case whose target group has no playbook (unsaved): the fields' defaults,
        and two refusals before escalation, where an empty minimum would block escalation outright."""
        return cls(min_conversations_before_escalation=2)

    @classmethod
    def for_case(cls, case: Case) -> Playbook:
        """The policy the case follows: its target group's playbook, or :meth:`fallback`. Guards,
        services, the planner and the sweeps read the numbers here, never a default of their own."""
        playbook = case.playbook if case.playbook_id else None
        return playbook if playbook is not None else cls.fallback()


class Case(ChoiceLabels, ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """One person's trajectory after an order to leave."""

    class BestInterest(models.TextChoices):
        NONE = "", _("No decision yet")
        RETURN = "return", _("Return with reception guarantees")
        FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
        STAY = "stay", _("Stay in Belgium")

    class CloseReason(models.TextChoices):
        ORDER_WITHDRAWN = "order_withdrawn", _("Order withdrawn")
        OTHER_EU_STATE = "other_eu_state", _("Left to another EU state")
        DECEASED = "deceased", _("Deceased")
        DUPLICATE = "duplicate", _("Duplicate case")
        # A granted annulment appeal (Aliens Act art. 39/2 §2) and a carried-out Dublin transfer
        # (Regulation 604/2013 art. 29) end the case without legal stay (decision 010).
        ORDER_ANNULLED = "order_annulled", _("Order annulled")
        DUBLIN_TRANSFER = "dublin_transfer", _("Transferred to the responsible member state (Dublin)")
        OTHER = "other", _("Other")

    class DepartureEvidence(models.TextChoices):
        BOARDING_PASS = "boarding_pass", _("Boarding pass")
        BORDER_STAMP = "border_stamp", _("Border stamp")
        PARTNER_CONFIRMATION = "partner_confirmation", _("Partner confirmation")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    target_group = models.CharField(_("target group"), max_length=32, choices=TargetGroup.choices, default=TargetGroup.INDIVIDUAL)
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Office, counsellor and state have no index of their own: the (office, state), (counsellor,
    # state) and (state, outcome_at) indexes below lead with them, and every index of this table
    # is written again by each sweep's update (issue 15).
    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("office"),
        db_index=False,
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("counsellor"), db_index=False,
    )
    state = FSMField(_("state"), max_length=32, choices=State.choices, default=State.REGISTERED, protected=True)
    state_entered_at = models.DateTimeField(_("in this state since"), default=timezone.now)

    # Flags and household
    public_order = models.BooleanField(_("public order"), default=False)
    nuisance = models.BooleanField(_("nuisance"), default=False)
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    minor_children = models.PositiveSmallIntegerField(_("minor children"), default=0)
    unaccompanied_minor = models.BooleanField(_("unaccompanied minor"), default=False)
    best_interest_outcome = models.CharField(
        _("best-interest decision"), max_length=32, choices=BestInterest.choices, default=BestInterest.NONE, blank=True
    )

    # The legal clock, kept current by the services from the orders and procedures.
    departure_deadline = models.DateField(_("departure deadline"), null=True, blank=True, db_index=True)
    # The earliest notification among the case's orders (kept by the order service): the start of
    # the intake rule and of the dashboards' "days to outcome", read without touching the orders.
    first_notified_on = models.DateField(_("first notified on"), null=True, blank=True, editable=False)
    pending_procedures = models.PositiveSmallIntegerField(default=0, editable=False)
    pending_suspensive_procedures = models.PositiveSmallIntegerField(default=0, editable=False)
    granted_procedures = models.PositiveSmallIntegerField(default=0, editable=False)
    # Possible duplicates across API clients not yet merged or dismissed, on either side (decision 020):
    # until a person has looked, a suspensive procedure on the other case may concern this person too.
    unreviewed_duplicates = models.PositiveSmallIntegerField(default=0, editable=False)
    # Granted procedures by meaning (cases.procedure_kinds): a route to stay stops forced return;
    # a granted suspension of removal or annulment of the order bars removal.
    granted_routes_to_stay = models.PositiveSmallIntegerField(default=0, editable=False)
    removal_barred = models.PositiveSmallIntegerField(default=0, editable=False)
    granted_transfers = models.PositiveSmallIntegerField(default=0, editable=False)
    granted_annulments = models.PositiveSmallIntegerField(default=0, editable=False)
    # Why escalation may come before the departure deadline (Directive art. 7(4), 8(2)): the
    # current order's own term was short (under 7 days), or a shortening decision was recorded.
    early_escalation_ground = models.CharField(
        _("escalation before the deadline allowed by"), max_length=16, blank=True, editable=False,
        choices=[("short_term", _("a short departure term in the order")), ("shortened", _("a decision shortening the period"))],
    )

    # Unaccompanied minors: the guardian (Programme Law of 24 December 2002, title XIII, ch. 6).
    guardian_name = models.CharField(_("guardian"), max_length=150, blank=True)
    guardian_contact = models.CharField(_("guardian's contact"), max_length=200, blank=True)
    guardian_appointed_on = models.DateField(_("guardian appointed on"), null=True, blank=True)
    guardian_agreed_return_on = models.DateField(_("guardian agreed to return on"), null=True, blank=True)
    came_of_age_on = models.DateField(_("came of age on"), null=True, blank=True, editable=False)

    # Derived from conversations, written by counselling's services in the same transaction.
    held_conversations = models.PositiveIntegerField(_("held conversations"), default=0, editable=False)
    voluntary_return_refusals = models.PositiveIntegerField(_("refusals of voluntary return"), default=0, editable=False)
    consecutive_no_shows = models.PositiveSmallIntegerField(_("consecutive no-shows"), default=0, editable=False)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    next_conversation_at = models.DateTimeField(_("next planned conversation"), null=True, blank=True, editable=False, db_index=True)
    # When the planner found no slot for the case in any office that may take it: when the planning
    # sweep tries again (counselling.backoff, decision 123). Cleared when capacity frees in the
    # case's region, when the case is planned, reassigned or comes back into counselling.
    planning_retry_at = models.DateTimeField(_("next planning attempt"), null=True, blank=True, editable=False)
    voluntary_return_agreed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Proposals awaiting a manager's decision.
    escalation_proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalation_motivation = models.TextField(blank=True, editable=False)
    lose_contact_proposed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Outcomes
    departed_on = models.DateField(_("departed on"), null=True, blank=True)
    departure_evidence = models.CharField(max_length=32, choices=DepartureEvidence.choices, blank=True)
    destination_country = CountryField(_("destination"), blank=True)
    removal_planned_on = models.DateField(_("removal planned on"), null=True, blank=True)
    # Kept by cases.returns' services: the date of the "unfit to travel" opinion in force (guard fit_to_travel).
    unfit_to_travel_since = models.DateField(_("unfit to travel since"), null=True, blank=True, editable=False)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=32, choices=CloseReason.choices, blank=True)
    close_note = models.TextField(_("close note"), blank=True)
    outcome_at = models.DateTimeField(_("outcome"), null=True, blank=True, editable=False)

    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("counsel_case", "Can counsel a case (conversations, orientation steps)"),
            ("escalate_case", "Can decide an escalation to forced return"),
            ("decide_case", "Can decide losing contact and closing a case"),
            ("record_legal_event", "Can record legal procedures and outcomes"),
            ("place_case", "Can decide placements in facilities"),
            ("reassign_case", "Can reassign a case to another office or counsellor"),
            ("view_all_cases", "Can see the cases of every office"),
            ("decide_detention", "Can decide an extension of detention"),
            ("confirm_detention", "Can confirm a detention decision as the second person"),
            ("decide_departure_term", "Can record a decision extending or shortening the departure period"),
        ]
        constraints = [
            # A repeat order attaches to the open case: a person never has two open cases.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
                name="one_open_case_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "state"]),
            # Counsellor first, then office: a counsellor's caseload within the viewer's offices is
            # one index range (issue 15; with (counsellor, state) the planner ANDed it with the
            # office's ~20k open cases at 1M, 3 ms). Serves every (counsellor, state) read too.
            models.Index(fields=["counsellor", "office", "state"]),
            models.Index(fields=["state", "outcome_at"]),
            # What the sweeps and dashboards read: only the due rows, never every case (decision 066).
            models.Index(
                fields=["id"], name="case_needs_conversation",
                condition=Q(state__in=[s.value for s in COUNSELLED_STATES], next_conversation_at__isnull=True,
                            counsellor__isnull=False, office__isnull=False),
            ),
            # The same cases split by the planning back-off (decision 123): those the planning sweep
            # may try now, walked by id, and those it tries again later, by retry time (and office,
            # for freed capacity): a stuck case costs the sweep nothing until it is due.
            models.Index(
                fields=["id"], name="case_due_for_planning",
                condition=Q(state__in=[s.value for s in COUNSELLED_STATES], next_conversation_at__isnull=True,
                            counsellor__isnull=False, office__isnull=False, planning_retry_at__isnull=True),
            ),
            models.Index(
                fields=["planning_retry_at", "office"], name="case_planning_deferred",
                condition=Q(state__in=[s.value for s in COUNSELLED_STATES], next_conversation_at__isnull=True,
                            counsellor__isnull=False, office__isnull=False, planning_retry_at__isnull=False),
            ),
            models.Index(
                fields=["id"], name="case_no_shows_pending",
                condition=Q(consecutive_no_shows__gt=0, lose_contact_proposed_at__isnull=True),
            ),
            models.Index(
                fields=["departure_deadline", "office", "counsellor"], name="case_open_deadline",
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
            ),
            models.Index(
                fields=["next_conversation_at", "office", "counsellor"], name="case_open_next_conversation",
                condition=Q(state__in=[s.value for s in OPEN_STATES], next_conversation_at__isnull=False),
            ),
            models.Index(
                fields=["outcome_at", "office", "counsellor", "state", "first_notified_on"], name="case_outcome",
                condition=Q(outcome_at__isnull=False),
            ),
            models.Index(
                fields=["state_entered_at", "office", "counsellor"], name="case_untraceable_since",
                condition=Q(state=State.UNTRACEABLE),
            ),
            # One office's outcomes of the twelve months without reading the others' (decision 110).
            models.Index(
                fields=["office", "outcome_at", "counsellor", "state", "first_notified_on"], name="case_office_outcome",
                condition=Q(outcome_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def state_fields(self) -> tuple:
        """ConcurrentTransitionMixin's: the FSM fields, found once (the mixin filters every field of
        the model at each instance, about 40 calls per case read; issue 15)."""
        return _STATE_FIELDS

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def days_to_deadline(self) -> int | None:
        if self.departure_deadline is None:
            return None
        return (self.departure_deadline - timezone.localdate()).days

    # --- the trajectory (memory only) ------------------------------------------------
    # Each method is the step of the same name in cases.steps: its edges, guards and permission
    # are declared there; here only what the step changes on the case.
    def _enter(self) -> None:
        self.state_entered_at = timezone.now()

    @steps.transition(state)
    def start_orientation(self) -> None:
        self._enter()

    @steps.transition(state)
    def open_legal_stay_review(self) -> None:
        self._enter()
        # The law wins over the workflow: no removal while a route to stay is examined.
        self.removal_planned_on = None

    @steps.transition(state)
    def resume_orientation(self, *, new_departure_deadline: dt.date) -> None:
        self._enter()
        self.departure_deadline = new_departure_deadline

    @steps.transition(state)
    def grant_legal_stay(self) -> None:
        self._enter()
        self.outcome_at = timezone.now()

    @steps.transition(state)
    def agree_voluntary_return(self) -> None:
        self._enter()
        self.removal_planned_on = None
        self.escalation_proposed_at = None

    @steps.transition(state)
    def withdraw_voluntary_return(self) -> None:
        self._enter()
        self.voluntary_return_agreed_at = None

    @steps.transition(state)
    def confirm_departure(self, *, departed_on: dt.date, evidence: str, destination_country: str = "") -> None:
        self._enter()
        self.departed_on = departed_on
        self.departure_evidence = evidence
        self.destination_country = destination_country
        self.outcome_at = timezone.now()

    @steps.transition(state)
    def escalate_to_forced_return(self, *, motivation: str) -> None:
        self._enter()
        self.escalation_motivation = motivation
        self.escalation_proposed_at = None
        # Back to voluntary return only on a new agreement, not on the one the escalation overrode.
        self.voluntary_return_agreed_at = None

    @steps.transition(state)
    def confirm_removal(self, *, removed_on: dt.date) -> None:
        self._enter()
        self.removed_on = removed_on
        self.outcome_at = timezone.now()

    @steps.transition(state)
    def lose_contact(self) -> None:
        self._enter()
        self.lose_contact_proposed_at = None

    @steps.transition(state)
    def re_establish_contact(self) -> None:
        self._enter()
        self.consecutive_no_shows = 0

    @steps.transition(state)
    def close(self, *, reason: str, close_note: str) -> None:
        self._enter()
        self.close_reason = reason
        self.close_note = close_note
        self.outcome_at = timezone.now()


# The other subjects of the app, kept in this app's migrations (app label cases, same tables);
# first, because the history and the review below read them at import.
_STATE_FIELDS = tuple(f for f in Case._meta.fields if isinstance(f, FSMFieldMixin))

from cases.accesses import CaseAccess  # noqa: E402, F401
from cases.api import models as api_models  # noqa: E402, F401  (API infrastructure: ApiClient, IdempotencyKey, OrderBatch)
from cases.events import CaseEvent, person_answer_text  # noqa: E402, F401
from cases.orders import OrderToLeave  # noqa: E402, F401
from cases.placements import Placement  # noqa: E402, F401
from cases.procedures import LegalProcedure  # noqa: E402, F401

# isort: split
# The return itself: models of the subject package. Decision 020: possible duplicates across API
# clients; decision 023: field-level history.
from cases.legal_models import DepartureTermDecision, DetentionDecision, DetentionPeriod  # noqa: E402, F401
from cases.models_load import CounsellorLoad  # noqa: E402, F401
from cases.models_review import PossibleDuplicate  # noqa: E402, F401
from cases.returns.care import FitnessOpinion, RemovalOperation, Vulnerability  # noqa: E402, F401
from cases.returns.documents import CaseDocument, DocumentDownload  # noqa: E402, F401
from cases.returns.models import (  # noqa: E402, F401
    ConsularRequest,
    FollowUpContact,
    Referral,
    ReintegrationSupport,
    TravelDocument,
)
