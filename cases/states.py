"""The states of a case's trajectory and their groupings.

Kept apart from ``cases.models`` so that the step registry (``cases.steps``) can name states
without importing the models; ``cases.models`` re-exports everything here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ORIENTATION = "orientation", _("Orientation")
    LEGAL_STAY_REVIEW = "legal_stay_review", _("Legal stay review")
    VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return")
    FORCED_RETURN = "forced_return", _("Forced return")
    UNTRACEABLE = "untraceable", _("Untraceable")
    DEPARTED = "departed", _("Departed")
    REMOVED = "removed", _("Removed")
    LEGAL_STAY_GRANTED = "legal_stay_granted", _("Legal stay granted")
    CLOSED = "closed", _("Closed")


TERMINAL_STATES = (State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.CLOSED)
OPEN_STATES = tuple(s for s in State if s not in TERMINAL_STATES)
# Open cases the counselling service follows with conversations (untraceable ones are sought, not met).
COUNSELLED_STATES = (
    State.REGISTERED,
    State.ORIENTATION,
    State.LEGAL_STAY_REVIEW,
    State.VOLUNTARY_RETURN,
    State.FORCED_RETURN,
)
