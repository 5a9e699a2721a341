"""What cases shows at ``/metrics``: open cases by state (registered in CasesConfig.ready)."""

from __future__ import annotations

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from cases.models import OPEN_STATES, Case


class CasesCollector:
    def collect(self):
        cases = GaugeMetricFamily("returnpath_open_cases", "Open cases by state", labels=["state"])
        counts = dict(Case.objects.filter(state__in=OPEN_STATES).values_list("state").annotate(n=Count("id")))
        for state in OPEN_STATES:
            cases.add_metric([str(state)], counts.get(state, 0))
        yield cases


def register() -> None:
    from returnpath.observability.metrics import register_collector

    register_collector(CasesCollector())
