"""Show-up figures (issue 14, point 3): do people come, and does what we send reach them?

- show-up rate = held / (held + no-show) among conversations whose outcome is known, for first
  invitations (intakes) and follow-ups apart, by office, language, channel and target group;
- delivery of messages by channel: sent, delivered, failed (the backend's report when it sent
  one, else the send's own status);
- confirmations through the person's page, and the show-up of confirmed appointments;
- days from notification of the order to the first held conversation (median), by office and
  target group.

Counted in SQL by group (one query per figure), so the cost does not grow with the caseload.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import TargetGroup
from cases.selectors import cases_visible_to
from counselling.models import Conversation, MessageTemplate, OutboundMessage
from counselling.reach.models import DeliveryReport, InvitationLink

# October–December 2021: 136 of 329 people came to a first invitation (DESIGN §2).
BASELINE_RATE = 136 / 329
BASELINE_LABEL = "136/329 (2021)"


@dataclass
class Rate:
    label: str
    held: int = 0
    no_show: int = 0

    @property
    def total(self) -> int:
        return self.held + self.no_show

    @property
    def rate(self) -> float | None:
        return self.held / self.total if self.total else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f} %"


@dataclass
class ShowUp:
    since: dt.date
    until: dt.date
    first: dict[str, list[Rate]] = field(default_factory=dict)  # dimension -> rows
    follow_up: dict[str, list[Rate]] = field(default_factory=dict)
    first_total: Rate = field(default_factory=lambda: Rate("first"))
    follow_up_total: Rate = field(default_factory=lambda: Rate("follow-up"))
    confirmed: Rate = field(default_factory=lambda: Rate("confirmed"))
    delivery: list[tuple[str, int, int, int]] = field(default_factory=list)  # channel, sent, delivered, failed
    days_to_contact: list[tuple[str, int, float | None]] = field(default_factory=list)  # group, cases, median days


DIMENSIONS = ("office", "language", "channel", "target_group")


def _conversations(user, since: dt.date, until: dt.date, office_ids: list[int] | None) -> QuerySet:
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    rows = Conversation.objects.filter(
        case__in=cases_visible_to(user).values("pk"), planned_at__gte=start, planned_at__lt=end,
        status__in=[Conversation.Status.HELD, Conversation.Status.NO_SHOW],
    )
    if office_ids is not None:
        rows = rows.filter(case__office_id__in=office_ids)
    return rows


def _channel_label(email: bool, sms: bool, no_contact: bool) -> str:
    if email and sms:
        return "email+sms"
    if email:
        return MessageTemplate.Channel.EMAIL
    if sms:
        return MessageTemplate.Channel.SMS
    # No e-mail or phone: a printed letter. Otherwise no invitation is on record (planned on the spot).
    return MessageTemplate.Channel.LETTER if no_contact else "none"


def show_up(user, *, since: dt.date, until: dt.date, office_ids: list[int] | None = None) -> ShowUp:
    conversations = _conversations(user, since, until, office_ids)
    invitations = OutboundMessage.objects.filter(conversation=OuterRef("pk"), kind=MessageTemplate.Kind.INVITATION)
    grouped = (
        conversations.annotate(
            language=Subquery(invitations.order_by("id").values("language")[:1]),
            by_email=Exists(invitations.filter(channel=MessageTemplate.Channel.EMAIL)),
            by_sms=Exists(invitations.filter(channel=MessageTemplate.Channel.SMS)),
            no_contact=ExpressionWrapper(Q(case__person__email="", case__person__phone=""), output_field=BooleanField()),
        )
        .values("is_intake", "case__office__name", "language", "by_email", "by_sms", "no_contact", "case__target_group")
        .annotate(
            held=Count("pk", filter=Q(status=Conversation.Status.HELD)),
            no_show=Count("pk", filter=Q(status=Conversation.Status.NO_SHOW)),
        )
    )
    result = ShowUp(since=since, until=until)
    tables: dict[bool, dict[str, dict[str, Rate]]] = {True: defaultdict(dict), False: defaultdict(dict)}
    groups = dict(TargetGroup.choices)
    channels = dict(MessageTemplate.Channel.choices) | {"email+sms": _("E-mail + SMS"), "none": _("No invitation on record")}
    for row in grouped:
        keys = {
            "office": row["case__office__name"] or "—",
            "language": row["language"] or "—",
            "channel": str(channels[_channel_label(row["by_email"], row["by_sms"], row["no_contact"])]),
            "target_group": str(groups.get(row["case__target_group"], row["case__target_group"])),
        }
        total = result.first_total if row["is_intake"] else result.follow_up_total
        total.held += row["held"]
        total.no_show += row["no_show"]
        for dimension, key in keys.items():
            rate = tables[row["is_intake"]][dimension].setdefault(key, Rate(key))
            rate.held += row["held"]
            rate.no_show += row["no_show"]
    for is_intake, target in ((True, result.first), (False, result.follow_up)):
        for dimension in DIMENSIONS:
            target[dimension] = sorted(tables[is_intake][dimension].values(), key=lambda r: (-r.total, r.label))
    confirmed = conversations.filter(Exists(InvitationLink.objects.filter(conversation=OuterRef("pk"), confirmed_at__isnull=False)))
    counts = confirmed.aggregate(
        held=Count("pk", filter=Q(status=Conversation.Status.HELD)), no_show=Count("pk", filter=Q(status=Conversation.Status.NO_SHOW))
    )
    result.confirmed.held, result.confirmed.no_show = counts["held"], counts["no_show"]
    result.delivery = delivery_by_channel(conversations)
    result.days_to_contact = days_to_first_contact(user, since=since, until=until, office_ids=office_ids)
    return result


def delivery_by_channel(conversations: QuerySet) -> list[tuple[str, int, int, int]]:
    messages = OutboundMessage.objects.filter(conversation__in=conversations.values("pk"))
    latest = DeliveryReport.objects.filter(message=OuterRef("pk")).order_by("-reported_at", "-id").values("status")[:1]
    rows = (
        messages.annotate(reported=Subquery(latest))
        .values("channel")
        .annotate(
            sent=Count("pk", filter=Q(status=OutboundMessage.Status.SENT)),
            delivered=Count("pk", filter=Q(reported=DeliveryReport.Status.DELIVERED)),
            failed=Count("pk", filter=Q(reported=DeliveryReport.Status.FAILED) | Q(status=OutboundMessage.Status.GAVE_UP)),
        )
        .order_by("channel")
    )
    names = dict(MessageTemplate.Channel.choices)
    return [(str(names.get(r["channel"], r["channel"])), r["sent"], r["delivered"], r["failed"]) for r in rows]


MAX_CASES_FOR_MEDIAN = 50_000


def days_to_first_contact(user, *, since: dt.date, until: dt.date, office_ids: list[int] | None = None) -> list[tuple[str, int, float | None]]:
    """Median days from the first notification to the first held conversation, per target group,
    for cases whose order was notified in the period."""
    first_held = Conversation.objects.filter(case=OuterRef("pk"), status=Conversation.Status.HELD).order_by("planned_at")
    cases = (
        cases_visible_to(user)
        .annotate(notified=Min("orders__notified_on"), first_held=Subquery(first_held.values("planned_at")[:1]))
        .filter(notified__gte=since, notified__lte=until)
    )
    if office_ids is not None:
        cases = cases.filter(office_id__in=office_ids)
    by_group: dict[str, list[int]] = defaultdict(list)
    counted: dict[str, int] = defaultdict(int)
    groups = dict(TargetGroup.choices)
    for group, notified, held in cases.values_list("target_group", "notified", "first_held")[:MAX_CASES_FOR_MEDIAN]:
        label = str(groups.get(group, group))
        counted[label] += 1
        if held is not None:
            by_group[label].append(max(0, (timezone.localdate(held) - notified).days))
    return [
        (label, counted[label], statistics.median(by_group[label]) if by_group[label] else None)
        for label in sorted(counted, key=lambda g: -counted[g])
    ]

