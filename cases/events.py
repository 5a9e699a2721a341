"""The case's timeline and audit trail: append-only events and the sentences they read as.
Part of ``cases.models``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases import steps
from cases.returns import events as return_events
from cases.states import State
from returnpath.choices import ChoiceLabels


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


class CaseEvent(ChoiceLabels, models.Model):
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

    # Indexed by ("case", "-at") below, which also serves the foreign key (decision 116).
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="events", db_index=False)
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
        if self.kind == self.Kind.CAME_OF_AGE and (came_of_age_on := _date_or_none(data.get("on"))):
            return gettext(
                "The person came of age on %(date)s: review the trajectory (no longer an unaccompanied minor)."
            ) % {"date": date_format(came_of_age_on)}
        if self.kind in return_events.KINDS:  # the return itself (cases.returns)
            return return_events.text(self)
        if self.kind == self.Kind.PERSON_ANSWERED:
            return person_answer_text(data)
        if self.kind == self.Kind.LOSE_CONTACT_PROPOSED and isinstance(data.get("no_shows"), int):
            count = data["no_shows"]
            return ngettext("%(count)s consecutive no-show.", "%(count)s consecutive no-shows.", count) % {"count": count}
        return self.note
