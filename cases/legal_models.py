"""The legal titles and decisions around a case: detention periods with their decisions, and
decisions on the period for voluntary departure. Imported by ``cases.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import legal

if TYPE_CHECKING:
    from django import forms


class DetentionPeriod(models.Model):
    """One title of detention: every consecutive placement in a closed centre or return house,
    transfers included, counts from the first day (Aliens Act art. 7; CJEU Kadzoev C-357/09)."""

    Limit = legal.DetentionLimit
    LIMIT_CHOICES = [
        (legal.DetentionLimit.INITIAL.value, _("2 months")),
        (legal.DetentionLimit.EXTENDED.value, _("5 months")),
        (legal.DetentionLimit.PUBLIC_ORDER.value, _("8 months (public order or national security)")),
    ]

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="detention_periods")
    started_on = models.DateField(_("detained since"))
    ended_on = models.DateField(_("released on"), null=True, blank=True)
    limit = models.CharField(_("current limit"), max_length=16, choices=LIMIT_CHOICES, default=legal.DetentionLimit.INITIAL.value)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("detention period")
        verbose_name_plural = _("detention periods")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_on__isnull=True), name="one_open_detention_per_case"),
            models.CheckConstraint(
                name="detention_ends_after_start", condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on"))
            ),
        ]
        indexes = [
            models.Index(fields=["ended_on", "started_on"]),
            # The detention sweep starts from the titles still running, not from every open case.
            models.Index(fields=["started_on", "case"], name="detention_running", condition=Q(ended_on__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.started_on}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def limit_date(self):
        return legal.detention_limit(started_on=self.started_on, extension=self.limit)

    @property
    def limit_months(self) -> int:
        return legal.DETENTION_MONTHS[legal.DetentionLimit(self.limit)]

    @property
    def days_held(self) -> int:
        return legal.days_held(started_on=self.started_on, until=self.ended_on or timezone.localdate())


class DetentionDecision(models.Model):
    """A placement in detention or an extension of it, as decided and (with four eyes) confirmed.

    It takes effect only once confirmed by a second person with the right role (decision 012).
    """

    class Kind(models.TextChoices):
        PLACEMENT = "placement", _("Placement in detention")
        EXTENSION = "extension", _("Extension of detention")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Not confirmed")

    class Ground(models.TextChoices):
        NONE = "", _("No particular ground")
        PUBLIC_ORDER = "public_order", _("Public order")
        NATIONAL_SECURITY = "national_security", _("National security")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="detention_decisions")
    period = models.ForeignKey(DetentionPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # A placement: where and from when.
    facility = models.ForeignKey("offices.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    starts_on = models.DateField(_("from"), null=True, blank=True)
    # An extension: the new limit and, for 8 months, its ground.
    extend_to = models.CharField(_("extend to"), max_length=16, choices=DetentionPeriod.LIMIT_CHOICES, blank=True)
    ground = models.CharField(_("ground"), max_length=24, choices=Ground.choices, blank=True)
    decided_on = models.DateField(_("decided on"))
    motivation = models.TextField(_("motivation"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # The case page's form to refuse a pending decision (cases.views_legal), set on the rows it shows.
    refuse_form: forms.Form

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("detention decision")
        verbose_name_plural = _("detention decisions")
        constraints = [
            # One decision at a time waits for its second pair of eyes.
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_detention_decision"),
            models.CheckConstraint(
                name="detention_eight_months_has_ground",
                condition=~Q(extend_to="public_order") | Q(ground__in=["public_order", "national_security"]),
            ),
            models.CheckConstraint(
                name="detention_confirmed_by_someone",
                condition=~Q(status="confirmed") | Q(confirmed_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.decided_on}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class DepartureTermDecision(models.Model):
    """A dated decision on the period for voluntary departure: extended (Directive art. 7(2);
    Aliens Act art. 74/14 §1) or shortened when a risk arises during it (Directive art. 8(2);
    Aliens Act art. 74/14 §3)."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Extension")
        SHORTENING = "shortening", _("Shortening")

    class Ground(models.TextChoices):
        # Extension (Directive art. 7(2); Aliens Act art. 74/14 §1)
        LENGTH_OF_STAY = "length_of_stay", _("Length of stay")
        SCHOOL_CHILDREN = "school_children", _("Children attending school")
        FAMILY_TIES = "family_ties", _("Family and social ties")
        RETURN_ORGANISED = "return_organised", _("A voluntary return is being organised")
        # Shortening (Aliens Act art. 74/14 §3)
        RISK_OF_ABSCONDING = "risk_of_absconding", _("Risk of absconding")
        PUBLIC_ORDER = "public_order", _("Threat to public order or national security")
        FRAUD = "fraud", _("Fraud or an unfounded application")

    EXTENSION_GROUNDS = (Ground.LENGTH_OF_STAY, Ground.SCHOOL_CHILDREN, Ground.FAMILY_TIES, Ground.RETURN_ORGANISED)
    SHORTENING_GROUNDS = (Ground.RISK_OF_ABSCONDING, Ground.PUBLIC_ORDER, Ground.FRAUD)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="term_decisions")
    client = models.ForeignKey("cases.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ground = models.CharField(_("ground"), max_length=24, choices=Ground.choices)
    decided_on = models.DateField(_("decided on"))
    days = models.PositiveSmallIntegerField(_("days"))
    previous_deadline = models.DateField(_("previous deadline"))
    new_deadline = models.DateField(_("new deadline"))
    motivation = models.TextField(_("motivation"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("departure period decision")
        verbose_name_plural = _("departure period decisions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.decided_on}"
