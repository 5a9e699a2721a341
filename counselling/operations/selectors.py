"""Reads for the operations view: what each sweep last did, and what is stuck."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import COUNSELLED_STATES, Case
from cases.selectors import cases_visible_to, is_coordinator
from counselling.models import Conversation, OutboundMessage, SweepRun
from counselling.sweeps import SWEEPS, sweep_lease

LIST_LIMIT = 50
# A claim older than this without "sent" is not in flight any more: the worker died or the mark failed.
CLAIM_STALE_AFTER = dt.timedelta(minutes=10)


def may_see_operations(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active
        and (user.is_superuser or is_coordinator(user) or user.has_perm("cases.reassign_case"))
    )


SWEEP_LABELS = {
    "plan_missing_conversations": _("Plan missing conversations"),
    "send_due_messages": _("Send invitations and reminders"),
    "flag_overdue_conversations": _("Flag conversations without an outcome"),
    "apply_no_show_rule": _("Apply the no-show rule"),
    "warn_deadlines": _("Warn before deadlines and detention limits"),
}
COUNT_LABELS = {
    "planned": _("planned"),
    "unplannable": _("no free slot"),
    "examined": _("examined"),
    "invitations": _("invitations"),
    "reminders": _("reminders"),
    "retried": _("retried"),
    "sent": _("sent"),
    "failed": _("failed"),
    "no_template": _("no template"),
    "flagged": _("flagged"),
    "proposed": _("proposed to the manager"),
    "deadline": _("deadline warnings"),
    "detention": _("detention warnings"),
}


@dataclass
class SweepStatus:
    name: str
    last: SweepRun | None
    last_error: SweepRun | None
    running: bool
    abandoned: SweepRun | None = None

    @property
    def label(self) -> str:
        return str(SWEEP_LABELS.get(self.name, self.name))

    @property
    def counts(self) -> list[tuple[str, int]]:
        """What the last finished run did, in words."""
        if self.last is None:
            return []
        return [(str(COUNT_LABELS.get(key, key)), value) for key, value in self.last.counts.items()]


def _is_abandoned(run: SweepRun, now: dt.datetime) -> bool:
    """Unfinished and silent for longer than the lease, whether or not a later run has marked it."""
    beat = run.heartbeat_at or run.started_at
    return run.finished_at is None and (run.abandoned_at is not None or beat < now - sweep_lease())


def sweep_statuses(now: dt.datetime | None = None) -> list[SweepStatus]:
    now = now or timezone.now()
    statuses = []
    for name in SWEEPS:
        runs = SweepRun.objects.filter(name=name)
        last = runs.filter(finished_at__isnull=False).first()
        started = runs.first()
        abandoned = next((run for run in runs.filter(finished_at__isnull=True)[:5] if _is_abandoned(run, now)), None)
        statuses.append(SweepStatus(
            name=name,
            last=last,
            last_error=runs.exclude(error="").first(),
            running=bool(started and started.finished_at is None and not _is_abandoned(started, now)),
            abandoned=abandoned,
        ))
    return statuses


def cases_without_planned_conversation(user, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Open counselled cases that have had no planned conversation for longer than the threshold."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.RETURNPATH_STUCK_AFTER_MINUTES)
    planned = Conversation.objects.filter(case=OuterRef("pk"), status=Conversation.Status.PLANNED)
    recent_outcome = Conversation.objects.filter(case=OuterRef("pk"), outcome_recorded_at__gte=cutoff)
    return (
        cases_visible_to(user)
        .filter(state__in=COUNSELLED_STATES, opened_at__lt=cutoff)
        .filter(~Exists(planned), ~Exists(recent_outcome))
        .select_related("person", "office", "counsellor")
        .order_by("opened_at", "id")
    )


def stuck_messages(user, now: dt.datetime | None = None) -> QuerySet[OutboundMessage]:
    """Messages a person must look at: uncertain (a send started, never confirmed), given up, or a
    claim the sweeps have not picked up again (no sweep ran since its sender died)."""
    now = now or timezone.now()
    return (
        OutboundMessage.objects.filter(_visible(user, "conversation__case"))
        .filter(
            Q(status__in=[OutboundMessage.Status.UNCERTAIN, OutboundMessage.Status.GAVE_UP])
            | Q(status=OutboundMessage.Status.CLAIMED, claimed_at__lt=now - CLAIM_STALE_AFTER)
        )
        .select_related("conversation__case")
        .order_by("claimed_at", "id")
    )


def overdue_outcomes(user, now: dt.datetime | None = None) -> QuerySet[Conversation]:
    """Planned conversations whose time is past the grace period (whether or not the flag sweep ran yet)."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.RETURNPATH_OVERDUE_GRACE_HOURS)
    return (
        Conversation.objects.filter(_visible(user))
        .filter(status=Conversation.Status.PLANNED, planned_at__lt=cutoff)
        .select_related("case__person", "counsellor")
        .order_by("planned_at", "id")
    )


def letters_to_print(user, now: dt.datetime | None = None) -> QuerySet[Conversation]:
    now = now or timezone.now()
    return (
        Conversation.objects.filter(_visible(user))
        .filter(status=Conversation.Status.PLANNED, planned_at__gt=now, case__state__in=COUNSELLED_STATES,
                case__person__email="", case__person__phone="")
        .select_related("case__person", "office")
        .order_by("planned_at", "id")
    )


def _visible(user, path: str = "case") -> Q:
    """Rows whose case (reached by ``path``) the user may see."""
    return Q(**{f"{path}__in": cases_visible_to(user).values("pk")})


def counselling_offices(user) -> list:
    """The counselling offices whose planning the user steers (all of them for the coordinator)."""
    from offices.models import Office

    offices = Office.objects.filter(kind__in=Office.COUNSELLING_KINDS, is_active=True)
    if not (user.is_superuser or is_coordinator(user)):
        offices = offices.filter(memberships__user=user)
    return list(offices.distinct().order_by("name"))
