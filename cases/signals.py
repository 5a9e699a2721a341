"""Signals from the case core to the apps that build on it (counselling listens).

The core never imports upward (DESIGN §5). ``case_state_changed`` and ``case_opened`` are sent
*inside* the service's transaction, so receivers can keep their own rows consistent in the same
transaction; receivers queue any outside effect with ``transaction.on_commit``.
"""

from django.dispatch import Signal

# sender=Case, case=..., actor=..., from_state=..., to_state=...
case_state_changed = Signal()
# sender=Case, case=..., actor=...
case_opened = Signal()
# sender=Case, case=..., actor=..., office=..., counsellor=...
case_assigned = Signal()

# sender=Case, cases=[...], actor=...: many cases opened at once by the bulk order path
# (decision 062); receivers do per batch what ``case_opened`` receivers do per case.
cases_opened = Signal()
