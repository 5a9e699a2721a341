"""Figures on the dashboards that a manager acts on are computed live, never served from the cache.

A tile saying "2 proposals waiting" above a list of 3 sends a manager away with a decision
left undone (issue 14). The tiles of the figures declared ``live`` (``cases.figures``) count with
the caseload filter itself — the same definition the list behind the tile uses — at request
time, for the reader's own scope.
"""

from __future__ import annotations

from django.http import QueryDict

from cases.caseload import CaseloadFilter
from cases.figures import REGISTRY
from cases.selectors import cases_visible_to


def _params(url: str) -> QueryDict:
    return QueryDict(url.partition("?")[2])


def live_tiles(user, tiles: list[dict]) -> list[dict]:
    """``tiles`` with the action tiles recounted now from their own list's URL."""
    result = []
    for tile in tiles:
        figure = REGISTRY.get(tile["key"])
        if figure is not None and figure.live:
            caseload_filter = CaseloadFilter.from_params(_params(tile["url"]))
            tile = {**tile, "value": caseload_filter.apply(cases_visible_to(user)).order_by().count(), "live": True}
        result.append(tile)
    return result
