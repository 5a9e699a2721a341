"""One message for the work of many requests (decision 124).

Every order that opens a case queued its own Celery message to plan the intake, after commit, in
the request: building and publishing it was about an eighth of an order's Python. A
:class:`Coalesced` task collects the ids that its callers add after their commits, in this
process, and a flusher thread sends them as one message (the task takes a list) at most
``window`` seconds after the first one, or at once when ``max_items`` have gathered.

What it risks is what a lost message already risks: the rows are committed before their id is
added, and the task re-reads the database, so ids lost with a killed process are found by the
sweep that is the safety net for that work anyway (an intake: the minutely planning sweep). A
process that exits normally sends what it holds. When Celery runs tasks eagerly (tests,
debugging) or ``window`` is 0, each id is sent at once in the caller, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from returnpath.resilience import enqueue

logger = logging.getLogger("returnpath.coalesced")


class Coalesced:
    """``add(id)`` now, ``task(**{argument: [ids…]})`` soon, in one message per window."""

    def __init__(self, task: Callable[[], Any], argument: str, *, window: Callable[[], float], max_items: int = 500) -> None:
        self._task = task  # a callable: the task module imports what imports this one
        self._argument = argument
        self._window = window
        self._max_items = max_items
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker owns neither the ids nor the thread
        atexit.register(self.flush)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, None] = {}  # ordered, without repeats
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, item: int) -> None:
        task = self._task()
        window = self._window()
        if window <= 0 or task.app.conf.task_always_eager:
            enqueue(task, **{self._argument: [item]})
            return
        with self._lock:
            self._items[item] = None
            full = len(self._items) >= self._max_items
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="returnpath-coalesced", daemon=True)
                self._thread.start()
            self._wake.set()
        if full:
            self.flush()

    def pending(self) -> list[int]:
        with self._lock:
            return list(self._items)

    def flush(self) -> None:
        """Send what has gathered, in one message (nothing when nothing has)."""
        with self._lock:
            items, self._items = list(self._items), {}
            self._wake.clear()  # what was added before now goes in this message
        if items:
            enqueue(self._task(), **{self._argument: items})

    def _run(self) -> None:
        while True:
            self._wake.wait()
            # Gather for one window after the first id, then send; ids added meanwhile go too.
            time.sleep(self._window())
            try:
                self.flush()
            except Exception:  # enqueue already survives a broker outage; never let the thread die
                logger.exception("Could not send coalesced %s", self._argument)
