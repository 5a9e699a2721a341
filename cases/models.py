"""Person, order to leave, case and its trajectory, legal procedures, placements, events.

Transitions change fields in memory only; every save, event and side effect happens in
``cases.services``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin

from cases import steps
from cases.identity import validate_national_number
from cases.names import normalise_name, validate_name
from cases.returns import events as return_events
from cases.states import COUNSELLED_STATES, OPEN_STATES, TERMINAL_STATES, State


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
        return case.playbook if case.playbook_id else cls.fallback()


def fold_for_search(text: str) -> str:
    """Lower case without accents or punctuation, one space between words (search and its index)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other / unknown")

    family_name = models.CharField(_("family name"), max_length=150, validators=[validate_name])
    given_names = models.CharField(_("given names"), max_length=150, blank=True, validators=[validate_name])
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    nationality = CountryField(_("nationality"), blank=True)
    national_number = models.CharField(
        _("national register or bis number"),
        max_length=11,
        blank=True,
        validators=[validate_national_number],
        db_index=True,
    )
    dossier_number = models.CharField(_("dossier number"), max_length=32, blank=True, db_index=True)
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes"))
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    address_invalid = models.BooleanField(_("address confirmed invalid"), default=False)
    address_updated_at = models.DateTimeField(_("address updated"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Given and family names folded for search: lower case, no accents ("Doğan Aïssatou" → "dogan aissatou").
    search_name = models.CharField(max_length=310, blank=True, editable=False)
    pseudonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["family_name", "given_names"]),
            models.Index(fields=["family_name", "birth_date", "nationality"]),
            # The caseload search compares case-insensitively (UPPER); name parts use trigram
            # indexes on PostgreSQL (migration 0006).
            models.Index(Upper("dossier_number"), name="person_dossier_upper"),
            # Matching an order by name compares UPPER(family_name) (decision 062).
            models.Index(Upper("family_name"), "birth_date", "nationality", name="person_name_key_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}".strip(", ")

    def save(self, *args, **kwargs):
        # One spelling per name (decision 027): "é" typed as one or as two code points is the same name.
        self.family_name, self.given_names = normalise_name(self.family_name), normalise_name(self.given_names)
        self.search_name = fold_for_search(f"{self.given_names} {self.family_name}")
        if kwargs.get("update_fields") is not None and {"given_names", "family_name"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


    @property
    def has_known_address(self) -> bool:
        return bool(self.postcode) and not self.address_invalid


class Case(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
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
    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("office")
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("counsellor"),
    )
    state = FSMField(_("state"), max_length=32, choices=State.choices, default=State.REGISTERED, protected=True, db_index=True)
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
            models.Index(fields=["counsellor", "state"]),
            models.Index(fields=["state", "outcome_at"]),
            # What the sweeps and dashboards read: only the due rows, never every case (decision 066).
            models.Index(
                fields=["id"], name="case_needs_conversation",
                condition=Q(state__in=[s.value for s in COUNSELLED_STATES], next_conversation_at__isnull=True,
                            counsellor__isnull=False, office__isnull=False),
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

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


class ApiClient(models.Model):
    """An external system (order register, partner) that talks to the API with knox tokens.

    Its tokens belong to a service user created with it; scopes say what it may do.
    """

    class Scope(models.TextChoices):
        ORDERS_WRITE = "orders:write", "orders:write"
        CASES_READ = "cases:read", "cases:read"
        CASES_READ_ALL = "cases:read_all", "cases:read_all"
        PROCEDURES_WRITE = "procedures:write", "procedures:write"
        DEPARTURES_WRITE = "departures:write", "departures:write"
        IDENTIFICATION_WRITE = "identification:write", "identification:write"
        RETURNS_PARTNER = "returns:partner", "returns:partner"

    name = models.CharField(_("name"), max_length=120, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    issuing_region = models.CharField(_("issuing region"), max_length=32, blank=True)
    throttle_rate = models.CharField(_("throttle rate"), max_length=20, default="600/min")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class OrderToLeave(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="orders")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    external_reference = models.CharField(_("external reference"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    notified_on = models.DateField(_("notified on"))
    departure_term_days = models.PositiveSmallIntegerField(_("departure term (days)"), validators=[MaxValueValidator(30)])
    term_reason = models.CharField(_("reason for a shorter term"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    entry_ban_years = models.PositiveSmallIntegerField(_("entry ban (years)"), default=0, validators=[MaxValueValidator(20)])
    departure_deadline = models.DateField(_("departure deadline"))
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notified_on", "-id"]
        verbose_name = _("order to leave")
        verbose_name_plural = _("orders to leave")
        constraints = [
            models.UniqueConstraint(fields=["client", "external_reference"], name="order_reference_unique_per_client"),
            models.UniqueConstraint(
                fields=["external_reference"], condition=Q(client__isnull=True), name="order_reference_unique_manual"
            ),
            models.CheckConstraint(name="order_notified_not_before_issue", condition=Q(notified_on__gte=models.F("issued_on"))),
            models.CheckConstraint(name="order_term_at_most_30", condition=Q(departure_term_days__lte=30)),
            models.CheckConstraint(
                name="order_short_term_reasoned", condition=Q(departure_term_days__gte=30) | ~Q(term_reason="")
            ),
        ]
        indexes = [models.Index(Upper("external_reference"), name="order_reference_upper")]

    def __str__(self) -> str:
        return self.external_reference

    def clean(self) -> None:
        errors = {}
        if self.issued_on and self.notified_on and self.notified_on < self.issued_on:
            errors["notified_on"] = _("The notification cannot be before the order was issued.")
        if self.departure_term_days is not None and self.departure_term_days < 30 and not self.term_reason.strip():
            errors["term_reason"] = _("A departure term under 30 days must be reasoned.")
        if errors:
            raise ValidationError(errors)


class LegalProcedure(models.Model):
    class Kind(models.TextChoices):
        ASYLUM_APPLICATION = "asylum_application", _("Asylum application")
        ASYLUM_APPEAL = "asylum_appeal", _("Full-jurisdiction asylum appeal")
        ANNULMENT_SUSPENSION_APPEAL = "annulment_suspension_appeal", _("Annulment/suspension appeal against the order")
        EXTREME_URGENCY_REQUEST = "extreme_urgency_request", _("Extreme-urgency request")
        CASSATION_APPEAL = "cassation_appeal", _("Cassation appeal (Council of State)")
        REGULARISATION_9BIS = "regularisation_9bis", _("Humanitarian regularisation (9bis)")
        REGULARISATION_9TER = "regularisation_9ter", _("Medical regularisation (9ter)")
        FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
        BEST_INTEREST_PROCEDURE = "best_interest_procedure", _("Best-interest procedure (unaccompanied minor)")
        DUBLIN_TRANSFER = "dublin_transfer", _("Dublin transfer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="procedures")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    lodged_on = models.DateField(_("lodged on"))
    suspensive = models.BooleanField(_("suspensive"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-lodged_on", "-id"]
        verbose_name = _("legal procedure")
        verbose_name_plural = _("legal procedures")
        constraints = [
            models.CheckConstraint(
                name="procedure_decided_has_date",
                condition=Q(status="pending", decided_on__isnull=True) | (~Q(status="pending") & Q(decided_on__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}".strip()

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class Placement(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="placements")
    facility = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="placements")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    # The detention title this placement belongs to (closed centres and return houses only).
    detention_period = models.ForeignKey(
        "cases.DetentionPeriod", on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_on__isnull=True), name="one_current_placement_per_case"),
            models.CheckConstraint(
                name="placement_ends_after_start", condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on"))
            ),
        ]
        indexes = [models.Index(fields=["facility", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.facility} {self.started_on}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


def person_answer_text(data: dict) -> str:
    """The person's answer through their invitation link, as the counsellor reads it."""
    answer = data.get("answer")
    language = str(data.get("language") or "")
    if answer == "confirmed":
        return gettext("The person confirmed the appointment.")
    if answer == "interpreter":
        return gettext("The person asks for an interpreter (%(language)s).") % {"language": language or "?"}
    if answer == "other_time":
        try:
            choice = dt.datetime.fromisoformat(data["choice"])
        except (KeyError, TypeError, ValueError):
            return gettext("The person asks for another time.")
        return gettext("The person asks for another time: %(when)s.") % {
            "when": date_format(timezone.localtime(choice), "SHORT_DATETIME_FORMAT")
        }
    return ""


def _date_or_none(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - a guard rail, not a feature
        raise TypeError("Case events are append-only.")

    def delete(self):  # pragma: no cover
        raise TypeError("Case events are append-only.")


class CaseEvent(models.Model):
    """The timeline and the audit trail: appended, never edited or deleted."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        ORDER_ATTACHED = "order_attached", _("Repeat order attached")
        ASSIGNED = "assigned", _("Assigned")
        TRANSITION = "transition", _("Trajectory step")
        PROCEDURE_LODGED = "procedure_lodged", _("Legal procedure lodged")
        PROCEDURE_DECIDED = "procedure_decided", _("Legal procedure decided")
        BEST_INTEREST_DECIDED = "best_interest_decided", _("Best-interest decision")
        PLACEMENT_STARTED = "placement_started", _("Placement started")
        PLACEMENT_ENDED = "placement_ended", _("Placement ended")
        ESCALATION_PROPOSED = "escalation_proposed", _("Escalation proposed")
        LOSE_CONTACT_PROPOSED = "lose_contact_proposed", _("Losing contact proposed")
        PROPOSAL_DECLINED = "proposal_declined", _("Proposal declined")
        CONVERSATION_PLANNED = "conversation_planned", _("Conversation planned")
        CONVERSATION_HELD = "conversation_held", _("Conversation held")
        CONVERSATION_NO_SHOW = "conversation_no_show", _("No-show")
        CONVERSATION_CANCELLED = "conversation_cancelled", _("Conversation cancelled")
        CONVERSATION_RESCHEDULED = "conversation_rescheduled", _("Conversation rescheduled")
        ADDRESS_CHANGED = "address_changed", _("Address changed")
        DEADLINE_WARNING = "deadline_warning", _("Deadline warning")
        DETENTION_WARNING = "detention_warning", _("Detention limit warning")
        DETENTION_LIMIT_PASSED = "detention_limit_passed", _("Detention limit passed")
        DETENTION_DECIDED = "detention_decided", _("Detention decision")
        DETENTION_CONFIRMED = "detention_confirmed", _("Detention decision confirmed")
        DETENTION_REFUSED = "detention_refused", _("Detention decision not confirmed")
        DETENTION_ENDED = "detention_ended", _("Detention ended")
        TERM_DECIDED = "term_decided", _("Departure period decision")
        GUARDIAN_RECORDED = "guardian_recorded", _("Guardian recorded")
        GUARDIAN_AGREED = "guardian_agreed", _("Guardian agreed to return")
        CAME_OF_AGE = "came_of_age", _("Came of age")
        PSEUDONYMISED = "pseudonymised", _("Personal data pseudonymised")
        # The return itself (cases.returns)
        TRAVEL_DOCUMENT = "travel_document", _("Travel document recorded")
        CONSULAR_REQUEST = "consular_request", _("Consular request")
        CONSULAR_ANSWER = "consular_answer", _("Consulate answered")
        CONSULAR_FOLLOW_UP_DUE = "consular_follow_up_due", _("Consular request needs follow-up")
        REFERRAL = "referral", _("Referred to a return partner")
        REFERRAL_STAGE = "referral_stage", _("Return partner reported")
        REINTEGRATION_SUPPORT = "reintegration_support", _("Reintegration support")
        FOLLOW_UP_CONTACT = "follow_up_contact", _("Follow-up contact after return")
        VULNERABILITY = "vulnerability", _("Vulnerabilities updated")
        FITNESS_OPINION = "fitness_opinion", _("Fitness to travel")
        REMOVAL_PLANNED = "removal_planned", _("Removal operation planned")
        REMOVAL_OUTCOME = "removal_outcome", _("Removal operation outcome")
        DOCUMENT_ADDED = "document_added", _("Document added")
        # Staff-only: an API client never sees these (they would reveal another client's case).
        POSSIBLE_DUPLICATE = "possible_duplicate", _("Possible duplicate recorded")
        DUPLICATE_MERGED = "duplicate_merged", _("Duplicate merged")
        DUPLICATE_DISMISSED = "duplicate_dismissed", _("Possible duplicate dismissed")
        # The person's own answer to an invitation (counselling.reach)
        PERSON_ANSWERED = "person_answered", _("The person answered the invitation")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=32, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=State.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "-at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Case events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Case events are append-only.")

    @property
    def label(self) -> str:
        if self.kind == self.Kind.TRANSITION and self.transition:
            return steps.label(self.transition)
        return str(self.get_kind_display())

    @property
    def text(self) -> str:
        """The event's sentence in the reader's language: what the service itself wrote is built
        from the event's data at display time; what a person wrote is shown as written."""
        data = self.data if isinstance(self.data, dict) else {}
        day = _date_or_none(data.get("deadline") if self.kind == self.Kind.DEADLINE_WARNING else data.get("limit"))
        if self.kind == self.Kind.DEADLINE_WARNING and day:
            return gettext("The departure deadline is on %(date)s.") % {"date": date_format(day)}
        if self.kind == self.Kind.DETENTION_WARNING and day:
            return gettext("The detention limit is reached on %(date)s.") % {"date": date_format(day)}
        if self.kind == self.Kind.DETENTION_LIMIT_PASSED and day:
            return gettext(
                "The detention limit of %(date)s has passed without release or extension: release the person now."
            ) % {"date": date_format(day)}
        if self.kind == self.Kind.CAME_OF_AGE and _date_or_none(data.get("on")):
            return gettext(
                "The person came of age on %(date)s: review the trajectory (no longer an unaccompanied minor)."
            ) % {"date": date_format(_date_or_none(data["on"]))}
        if self.kind in return_events.KINDS:  # the return itself (cases.returns)
            return return_events.text(self)
        if self.kind == self.Kind.PERSON_ANSWERED:
            return person_answer_text(data)
        if self.kind == self.Kind.LOSE_CONTACT_PROPOSED and isinstance(data.get("no_shows"), int):
            count = data["no_shows"]
            return ngettext("%(count)s consecutive no-show.", "%(count)s consecutive no-shows.", count) % {"count": count}
        return self.note


class CaseAccessQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The access log is append-only.")

    def delete(self):
        raise TypeError("The access log is append-only.")


class CaseAccess(models.Model):
    """Who read which person's data, when, what, from where and with what result (DESIGN §7,
    decision 022). Append-only: the database refuses UPDATE and DELETE too (migration 0010)."""

    class Result(models.TextChoices):
        OK = "ok", _("shown")
        NOT_FOUND = "not_found", _("not found or not allowed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A deleted user leaves the row (SET_NULL) and its name snapshot; deactivate users instead.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user_label = models.CharField(_("who"), max_length=150, blank=True)
    via = models.CharField(_("what"), max_length=24)
    at = models.DateTimeField(_("when"), default=timezone.now)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    client_label = models.CharField(_("API client"), max_length=120, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, default=Result.OK)
    # Exports: the filter and the row count; other reads: the case id asked for, the reason given.
    detail = models.JSONField(default=dict, blank=True)

    objects = CaseAccessQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["at"])]
        verbose_name = _("case access")
        verbose_name_plural = _("case accesses")

    def __str__(self) -> str:
        return f"{self.case_id} {self.via} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The access log is append-only.")


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` an API client sent with a POST (IETF httpapi idempotency-key draft).

    The row is written before the request is processed (``status`` empty: in flight) and
    completed with the answer, so a retry with the same key replays the answer instead of
    doing the work twice; the same key with another body is refused.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique_per_client")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key


# The return itself: models of the subject package, kept in this app's migrations.
# Decision 020: possible duplicates across API clients; decision 023: field-level history.
from cases.batch_models import OrderBatch, OrderBatchItem  # noqa: E402, F401  (batches as jobs, issue 13)
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
