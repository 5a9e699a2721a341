"""Travel documents, consular requests, referrals to a return partner, reintegration, follow-up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class TravelDocument(models.Model):
    """A travel or identity document the person holds, or one that is known to be missing."""

    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Passport")
        IDENTITY_CARD = "identity_card", _("National identity card")
        LAISSEZ_PASSER = "laissez_passer", _("Laissez-passer")
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        OTHER = "other", _("Other document")

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        MISSING = "missing", _("Missing")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="travel_documents")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.HELD)
    country = CountryField(_("issuing country"), blank=True)
    number = models.CharField(_("number"), max_length=64, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    kept_at = models.CharField(_("where it is kept"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("travel document")
        verbose_name_plural = _("travel documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()


class ConsularRequest(models.Model):
    """A request to a consulate for a laissez-passer or an identification, to its answer."""

    class Kind(models.TextChoices):
        LAISSEZ_PASSER = "laissez_passer", _("Laissez-passer")
        IDENTIFICATION = "identification", _("Identification")

    class Answer(models.TextChoices):
        PENDING = "pending", _("Awaiting an answer")
        ISSUED = "issued", _("Issued")
        REFUSED = "refused", _("Refused")
        NO_ANSWER = "no_answer", _("No answer")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consular_requests")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.LAISSEZ_PASSER)
    country = CountryField(_("country of return"))
    consulate = models.CharField(_("consulate"), max_length=200)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    sent_on = models.DateField(_("sent on"))
    interview_on = models.DateField(_("interview on"), null=True, blank=True)
    interviews_held = models.JSONField(_("interviews held"), default=list, blank=True, help_text=_("ISO dates"))
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent to the consulate"), default=0)
    last_reminder_on = models.DateField(_("last reminder on"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices, default=Answer.PENDING, db_index=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    document_number = models.CharField(_("document number"), max_length=64, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # The timer: the day the counsellor must act (interview, or chase an answer); kept by the services.
    due_on = models.DateField(_("follow-up due on"), null=True, blank=True, db_index=True)
    # The due date the sweep last reminded about: running it twice reminds once.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set on the rows of the timers' lists (cases.returns.selectors), never stored.
    due_why: str
    overdue: bool
    days_overdue: int

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = _("consular request")
        verbose_name_plural = _("consular requests")
        constraints = [
            models.CheckConstraint(
                name="consular_answer_dated",
                condition=Q(answer="pending", answered_on__isnull=True) | (~Q(answer="pending") & Q(answered_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="consular_answer_not_before_sending",
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=models.F("sent_on")),
            ),
        ]
        indexes = [models.Index(fields=["country", "answer"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.country} {self.sent_on}"

    @property
    def is_pending(self) -> bool:
        return self.answer == self.Answer.PENDING

    @property
    def days_to_answer(self) -> int | None:
        return (self.answered_on - self.sent_on).days if self.answered_on else None


class Referral(models.Model):
    """A voluntary return handed to a return partner (an API client with ``returns:partner``)."""

    class Stage(models.TextChoices):
        REFERRED = "referred", _("Referred")
        ACCEPTED = "accepted", _("Accepted")
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        DEPARTED = "departed", _("Departed")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey("cases.ApiClient", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("partner"))
    destination_country = CountryField(_("destination"))
    destination_place = models.CharField(_("place of destination"), max_length=200, blank=True)
    travellers = models.PositiveSmallIntegerField(_("people travelling"), default=1)
    travellers_note = models.CharField(_("who travels"), max_length=300, blank=True)
    # The vulnerability flags as they were when referred, and what travel needs because of them.
    vulnerabilities = models.JSONField(_("vulnerabilities"), default=list, blank=True)
    medical_needs = models.TextField(_("medical needs for travel"), blank=True)
    reintegration_wishes = models.TextField(_("reintegration wishes"), blank=True)
    consent_on = models.DateField(_("consent recorded on"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.REFERRED, db_index=True)
    flight = models.CharField(_("flight"), max_length=64, blank=True)
    flight_on = models.DateField(_("flight date"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    referred_at = models.DateTimeField(auto_now_add=True)
    stage_at = models.DateTimeField(_("stage since"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("referral to a return partner")
        verbose_name_plural = _("referrals to a return partner")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(stage__in=["referred", "accepted", "booked"]), name="one_active_referral_per_case"
            ),
            models.CheckConstraint(name="referral_booked_has_flight", condition=~Q(stage="booked") | Q(flight_on__isnull=False)),
        ]
        indexes = [models.Index(fields=["partner", "stage"])]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.partner_id} ({self.stage})"

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_REFERRAL_STAGES


ACTIVE_REFERRAL_STAGES = (Referral.Stage.REFERRED, Referral.Stage.ACCEPTED, Referral.Stage.BOOKED)
FOLLOW_UP_MONTHS = (1, 3, 6, 12)


class ReintegrationSupport(models.Model):
    """Support in kind after return, to be used within 12 months of departure."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        HOUSING = "housing", _("Housing")
        MEDICAL = "medical", _("Medical")
        EDUCATION = "education", _("Education")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="support")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    planned_on = models.DateField(_("planned on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    value_eur = models.PositiveIntegerField(_("value (EUR)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_on", "id"]
        verbose_name = _("reintegration support")
        verbose_name_plural = _("reintegration support")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class FollowUpContact(models.Model):
    """A contact with the person after return, at about 1, 3, 6 and 12 months."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="follow_ups")
    month = models.PositiveSmallIntegerField(_("month after departure"), choices=[(m, m) for m in FOLLOW_UP_MONTHS])
    contacted_on = models.DateField(_("contacted on"))
    reached = models.BooleanField(_("person reached"), default=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("follow-up contact")
        verbose_name_plural = _("follow-up contacts")
        constraints = [models.UniqueConstraint(fields=["referral", "month"], name="one_follow_up_per_month")]

    def __str__(self) -> str:
        return f"{self.referral_id} M{self.month}"
