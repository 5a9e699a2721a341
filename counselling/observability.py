"""What counselling shows at ``/metrics`` and ``/readyz`` (registered in CounsellingConfig.ready):
messages by status, sweep lag and runs, unplannable cases; the beat and worker heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from counselling import messaging
from counselling.models import OutboundMessage, ServiceHeartbeat, SweepRun
from counselling.sweeps import SWEEPS, cases_needing_conversation


class CounsellingCollector:
    def collect(self):
        now = timezone.now()
        messages = GaugeMetricFamily("returnpath_messages", "Invitations and reminders by status", labels=["status"])
        by_status = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")))
        for status in OutboundMessage.Status.values:
            messages.add_metric([status], by_status.get(status, 0))
        yield messages

        lag = GaugeMetricFamily("returnpath_sweep_lag_seconds", "Age of the oldest item a sweep has still to do", labels=["sweep"])
        oldest_due = messaging.due_invitations(now).aggregate(first=Min("created_at"))["first"]
        lag.add_metric(["send_due_messages"], (now - oldest_due).total_seconds() if oldest_due else 0)
        # Every case without a planned conversation, those waiting for their next attempt included
        # (decision 123): a stuck case is still the sweep's work, and an alert must keep seeing it.
        oldest_case = cases_needing_conversation().aggregate(first=Min("opened_at"))["first"]
        lag.add_metric(["plan_missing_conversations"], (now - oldest_case).total_seconds() if oldest_case else 0)
        yield lag

        unplannable = GaugeMetricFamily("returnpath_cases_without_planned_conversation",
                                        "Open counselled cases with a counsellor and no planned conversation")
        unplannable.add_metric([], cases_needing_conversation().count())
        yield unplannable

        since = GaugeMetricFamily("returnpath_sweep_last_finished_seconds", "Seconds since each sweep last finished", labels=["sweep"])
        for name in SWEEPS:
            at = SweepRun.objects.filter(name=name, finished_at__isnull=False).values_list("finished_at", flat=True).first()
            since.add_metric([name], (now - at).total_seconds() if at else -1)
        yield since

        abandoned = GaugeMetricFamily("returnpath_sweep_runs_abandoned", "Sweep runs whose worker died")
        abandoned.add_metric([], SweepRun.objects.filter(abandoned_at__isnull=False).count())
        yield abandoned


def heartbeat_check(name: str):
    def check() -> str | None:
        beat = ServiceHeartbeat.objects.filter(name=name).values_list("at", flat=True).first()
        if beat is None:
            return "never seen"
        age = (timezone.now() - beat).total_seconds()
        if age > settings.RETURNPATH_HEARTBEAT_MAX_AGE_SECONDS:
            return f"last seen {int(age)} s ago"
        return None

    return check


def register() -> None:
    from returnpath.observability.health import register_check
    from returnpath.observability.metrics import register_collector

    register_collector(CounsellingCollector())
    register_check("beat", heartbeat_check("beat"))
    register_check("worker", heartbeat_check("worker"))
