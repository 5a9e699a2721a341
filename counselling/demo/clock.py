"""A frozen clock for replaying case histories through the real services.

The services read the time from ``django.utils.timezone.now()`` (directly, through
``localdate()`` and through field defaults such as ``CaseEvent.at``). All of those end in
``datetime.now()`` inside ``django.utils.timezone``, so replacing that one name moves every
timestamp a service writes — the events, the derived fields, ``auto_now`` — consistently to
the moment being replayed, and the guards judge deadlines as they stood at that moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone as dj_timezone

# The module whose ``datetime`` name is swapped: the stubs do not list that imported name, and
# the stand-in is not a ``datetime`` subclass, so it is written to through an untyped handle.
_PATCHED: Any = dj_timezone
_REAL_DATETIME: type[dt.datetime] = _PATCHED.datetime


class _FrozenMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, _REAL_DATETIME)


class _FrozenDatetime(metaclass=_FrozenMeta):
    moment: dt.datetime | None = None

    @classmethod
    def now(cls, tz=None):
        if cls.moment is None:
            return _REAL_DATETIME.now(tz)
        return cls.moment.astimezone(tz) if tz is not None else cls.moment.astimezone().replace(tzinfo=None)


class FrozenClock:
    """``with FrozenClock() as clock: clock.set(moment); ...`` — time stands at ``moment``."""

    def __enter__(self) -> FrozenClock:
        _PATCHED.datetime = _FrozenDatetime
        return self

    def __exit__(self, *exc) -> None:
        _FrozenDatetime.moment = None
        _PATCHED.datetime = _REAL_DATETIME

    def set(self, moment: dt.datetime) -> None:
        if dj_timezone.is_naive(moment):
            raise ValueError("the clock needs an aware datetime")
        _FrozenDatetime.moment = moment

    @property
    def now(self) -> dt.datetime:
        return _FrozenDatetime.now(dt.UTC)
