"""Conversations: planned, then held, no-show, cancelled or rescheduled."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from returnpath.choices import ChoiceLabels

if TYPE_CHECKING:
    from simple_history.manager import HistoryManager


class Conversation(ChoiceLabels, models.Model):
    class Mode(models.TextChoices):
        OFFICE = "office", _("At the office")
        HOME_VISIT = "home_visit", _("Home visit")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    class Stance(models.TextChoices):
        NOT_DISCUSSED = "not_discussed", _("Not discussed")
        AGREES = "agrees", _("Agrees to return voluntarily")
        CONSIDERING = "considering", _("Considering voluntary return")
        REFUSES = "refuses", _("Refuses voluntary return")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="conversations")
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("counsellor")
    )
    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="conversations", verbose_name=_("office")
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.OFFICE)
    planned_at = models.DateTimeField(_("planned at"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    is_intake = models.BooleanField(_("intake"), default=False)
    interpreter_language = models.CharField(_("interpreter language"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)

    # Outcome of a held conversation
    discussed_legal_stay = models.BooleanField(_("legal stay discussed"), default=False)
    discussed_voluntary_return = models.BooleanField(_("voluntary return discussed"), default=False)
    discussed_forced_return_risk = models.BooleanField(_("forced return risk discussed"), default=False)
    stance = models.CharField(_("stance on voluntary return"), max_length=16, choices=Stance.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    agreed_next_step = models.CharField(_("agreed next step"), max_length=300, blank=True)
    interpreter_used = models.BooleanField(_("interpreter used"), default=False)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    # Messages and sweeps (each set once, under a row lock, so nothing is sent twice)
    invitation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    if TYPE_CHECKING:
        # Added by simple_history's register() at the end of this module (decision 023).
        history: ClassVar[HistoryManager]

    class Meta:
        ordering = ["planned_at", "id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="planned"), name="one_planned_conversation_per_case"),
            models.UniqueConstraint(
                fields=["counsellor", "planned_at"], condition=Q(status="planned"), name="counsellor_not_double_booked"
            ),
            models.CheckConstraint(
                name="held_has_stance", condition=~Q(status="held") | ~Q(stance=""),
            ),
        ]
        indexes = [
            models.Index(fields=["counsellor", "planned_at"]),
            models.Index(fields=["status", "planned_at"]),
            models.Index(fields=["case", "-planned_at"]),
            # The planner's agenda (decision 111): a counsellor's busy times, read index-only
            # (the duration a key column, not INCLUDE: SQLite warns about non-key columns).
            models.Index(
                fields=["counsellor", "planned_at", "duration_minutes"],
                condition=Q(status__in=["planned", "held"]), name="conversation_agenda",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.planned_at:%Y-%m-%d %H:%M}"

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED


class MessageTemplate(models.Model):
    """The words of an invitation or reminder, per channel and language (editable in the admin).

    Placeholders in braces are filled in: {name} {date} {time} {weekday} {place} {address} {mode}
    {counsellor} {office_phone} {interpreter} {transport} {link}. Unknown placeholders are left as
    they are. Channel "letter" is the printable letter (for people without e-mail or phone).
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        LETTER = "letter", _("Printed letter")

    class Review(models.TextChoices):
        # Honest labels: a text nobody checked must say so to the administrator (issue 14).
        SOURCE = "source", _("Source text (written by the service)")
        UNREVIEWED = "unreviewed", _("Not yet reviewed by a translator")
        REVIEWED = "reviewed", _("Reviewed by a translator")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, help_text=_("ISO 639-1 code"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    review_status = models.CharField(
        _("review status"), max_length=16, choices=Review.choices, default=Review.UNREVIEWED, db_index=True
    )
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True, help_text=_("Translator's name or agency"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "channel", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "channel", "language"], name="one_message_template_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.language}"


class OutboundMessage(models.Model):
    """One invitation or reminder to one person over one channel: claimed, then sent, then marked.

    The row is created (claimed) *before* anything leaves the building, and the unique
    constraint makes a second claim impossible. ``send_started_at`` is committed right before
    the backend is called, so a crash leaves at most one message whose fate is unknown
    (``uncertain``); every other claimed row is provably unsent and is sent again (decision 030).
    """

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Claimed, being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will be retried)")
        GAVE_UP = "gave_up", _("Failed (not retried)")
        RETRY = "retry", _("Released for another attempt")
        UNCERTAIN = "uncertain", _("Sending started, not confirmed")

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageTemplate.Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=MessageTemplate.Channel.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CLAIMED, db_index=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Stamped (committed) right before the backend is called: a claimed row without it provably
    # never left and is sent again; one with it but not marked sent is uncertain (decision 030).
    send_started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "kind", "channel"], name="one_message_per_conversation_kind_channel"),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_channel_display()} → {self.to}"


class SweepRun(models.Model):
    """One run of a periodic sweep, for the operations view: what it did and whether it failed."""

    name = models.CharField(_("sweep"), max_length=64, db_index=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # A live run renews its heartbeat; one whose heartbeat is older than the lease is abandoned
    # (its worker died) and is marked so by the next run (decision 032).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandoned"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        indexes = [models.Index(fields=["name", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M}"


# Field-level history of conversations (decision 023), like the cases' models.
from simple_history import register as _register_history  # noqa: E402

from cases.history import FieldHistory, unindexed  # noqa: E402

if not hasattr(Conversation, "history"):
    _register_history(Conversation, app="counselling", records_class=FieldHistory,
                      no_db_index=unindexed(Conversation, keep=("id", "case")))


class ServiceHeartbeat(models.Model):
    """When beat last scheduled, and a worker last ran, the heartbeat task (for /readyz and /metrics)."""

    name = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("service heartbeat")
        verbose_name_plural = _("service heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


# The person's answer page and delivery reports (counselling.reach) live in their own module.
from counselling.reach.models import DeliveryReport, InvitationLink  # noqa: E402,F401


class CaseTally(models.Model):
    """How many cases share one key of the dashboards' counts (decision 065).

    Written only by a PostgreSQL statement trigger on the case table, in the transaction of the
    change itself: every write path (services, bulk updates, COPY, migrations) keeps it. Rows are
    signed deltas (+1 when a case takes a key, -1 when it leaves it), so concurrent writers never
    wait on one another's counter row; :func:`counselling.dashboards.tally.compact` folds them.
    """

    office_id = models.IntegerField(null=True)
    counsellor_id = models.IntegerField(null=True)
    state = models.CharField(max_length=32)
    target_group = models.CharField(max_length=32)
    has_next = models.BooleanField()  # next_conversation_at IS NOT NULL
    has_deadline = models.BooleanField()  # departure_deadline IS NOT NULL
    suspensive = models.BooleanField()  # pending_suspensive_procedures > 0
    escalation_proposed = models.BooleanField()
    lose_contact_proposed = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        verbose_name = _("case tally")
        verbose_name_plural = _("case tallies")
        indexes = [models.Index(fields=["office_id"])]  # an office's dashboard reads its own rows (decision 110)

    def __str__(self) -> str:
        return f"{self.office_id}/{self.counsellor_id}/{self.state}: {self.n:+d}"


class OfficeTally(models.Model):
    """The case tally without the counsellor: the same deltas, written by the same trigger in the
    same statement (decision 110), for the national page."""

    office_id = models.IntegerField(null=True)
    state = models.CharField(max_length=32)
    target_group = models.CharField(max_length=32)
    has_next = models.BooleanField()
    has_deadline = models.BooleanField()
    suspensive = models.BooleanField()
    escalation_proposed = models.BooleanField()
    lose_contact_proposed = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        verbose_name = _("office tally")
        verbose_name_plural = _("office tallies")

    def __str__(self) -> str:
        return f"{self.office_id}/{self.state}: {self.n:+d}"


class ConversationTally(models.Model):
    """Conversations per (office of the case, counsellor, local week, status), signed deltas kept
    by triggers on the conversation and case tables (decision 065): the dashboards' twelve
    weeks without reading the conversations."""

    office_id = models.IntegerField(null=True)
    counsellor_id = models.IntegerField(null=True)
    week = models.DateField()  # its Monday
    status = models.CharField(max_length=16)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("conversation tally")
        verbose_name_plural = _("conversation tallies")
        indexes = [models.Index(fields=["week"]), models.Index(fields=["office_id", "week"])]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.counsellor_id}/{self.week}/{self.status}: {self.n:+d}"


class OfficeConversationTally(models.Model):
    """The conversation tally without the counsellor: the same deltas, written by the same
    triggers in the same statements (decision 118), for the national page (a few rows per office
    and week instead of one per counsellor)."""

    office_id = models.IntegerField(null=True)
    week = models.DateField()  # its Monday
    status = models.CharField(max_length=16)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("office conversation tally")
        verbose_name_plural = _("office conversation tallies")
        indexes = [models.Index(fields=["week"])]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.week}/{self.status}: {self.n:+d}"


class PersonQuarter(models.Model):
    """A person's orders to leave and returns in one calendar quarter, under the person's
    citizenship: written only by the triggers of decision 110 (``counselling.dashboards.quarters``),
    which recount a person from their orders and cases whenever one of them changes."""

    person_id = models.BigIntegerField()
    quarter = models.DateField()  # its first day
    nationality = models.CharField(max_length=2)
    orders = models.IntegerField()  # notified in the quarter
    first = models.BooleanField()  # the person's first order is in this quarter
    repeat = models.BooleanField()  # ... and the person has more than one order
    voluntary = models.IntegerField()  # cases departed in the quarter
    enforced = models.IntegerField()  # cases removed in the quarter

    class Meta:
        verbose_name = _("orders of a person in a quarter")
        verbose_name_plural = _("orders of people by quarter")
        indexes = [models.Index(fields=["person_id"])]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.quarter}: {self.orders}"


class QuarterTally(models.Model):
    """The sums of :class:`PersonQuarter` per (quarter, citizenship), signed deltas like the case
    tally (decision 110): the national page's Eurostat tables and repeat orders."""

    quarter = models.DateField()
    nationality = models.CharField(max_length=2)
    persons = models.IntegerField()  # people with an order notified in the quarter
    orders = models.IntegerField()  # orders notified in the quarter
    firsts = models.IntegerField()  # people whose first order was notified in the quarter
    repeaters = models.IntegerField()  # ... of whom with more than one order (all time)
    voluntary = models.IntegerField()
    enforced = models.IntegerField()

    class Meta:
        verbose_name = _("quarter tally")
        verbose_name_plural = _("quarter tallies")

    def __str__(self) -> str:
        return f"{self.quarter}/{self.nationality}: {self.persons:+d}"


class OutcomeTally(models.Model):
    """Cases with an outcome on or after :class:`OutcomeWindow`'s day: per (office, state) with
    ``days`` empty, and per (office, whole days from the first notification to the outcome's local
    day) with ``state`` empty for the ended cases with a notification. Signed deltas kept by a
    trigger on the case table (decision 114): the twelve months of outcomes and their exact
    medians read from a few hundred rows per office instead of the cases. The fold packs an
    office's histogram into one row (decision 121): ``histogram`` holds the counts of ``days``,
    ``days`` + 1, … (PostgreSQL only, as the trigger)."""

    office_id = models.IntegerField(null=True)
    state = models.CharField(max_length=32, null=True)  # None: a histogram row
    days = models.IntegerField(null=True)  # None: a count row; the first day of ``histogram``
    n = models.IntegerField()  # 0 in a packed row
    histogram = ArrayField(models.IntegerField(), null=True)  # a packed histogram row

    class Meta:
        verbose_name = _("outcome tally")
        verbose_name_plural = _("outcome tallies")
        indexes = [models.Index(fields=["office_id"])]

    def __str__(self) -> str:
        if self.histogram is not None:
            return f"{self.office_id}/{self.days}…: {sum(self.histogram)}"
        return f"{self.office_id}/{self.state}/{self.days}: {self.n:+d}"


class OutcomeWindow(models.Model):
    """One row: the first local day of outcome the :class:`OutcomeTally` counts (decision 114).
    Moved forward once a day by the tallies' fold; readers correct for the days in between."""

    since = models.DateField()

    class Meta:
        verbose_name = _("outcome tally window")
        verbose_name_plural = _("outcome tally windows")

    def __str__(self) -> str:
        return str(self.since)
