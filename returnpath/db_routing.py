"""Reporting reads on a read replica (DATABASE_REPLICA_URL), everything else on the primary.

Dashboards, their beat warm-up and the CSV exports read a lot and tolerate a replica's few seconds
of lag; the work of counsellors, the API and the sweeps must read what it has just written, so it
always stays on the primary. Which reads are "reporting" is said by the code that does them — a
view wrapped in ``reporting_view`` or a block under ``reporting_reads()`` — not by the model:
the same Case table is read both ways. Writes, migrations and anything outside such a block go
to ``default``; without a replica configured the router changes nothing (decision 068).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reporting: contextvars.ContextVar[bool] = contextvars.ContextVar("returnpath_reporting_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Reads inside the block go to the replica when there is one."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reporting_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view whose reads are reporting reads (dashboards, exports), for the URL configuration."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with reporting_reads():
            response = view(*args, **kwargs)
            # A streamed export reads while it is sent, after the view returned: keep the routing for it.
            if getattr(response, "streaming", False):
                response.streaming_content = _stream_on_replica(response.streaming_content)
            return response

    return wrapped


def _stream_on_replica(chunks: Iterator[Any]) -> Iterator[Any]:
    with reporting_reads():
        yield from chunks


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reporting reads to the replica, the rest to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reporting.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: same rows, same ids

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"
