"""Planning conversations: when, where, with whom (DESIGN §4).

Contract used by the browser and the sweeps:

    propose_next_conversation(*, case, after=None) -> Proposal | None

The first version here proposes the cadence date at 10:00 on a working day; the scheduling
work (issue 5) replaces the body with the full rules (consultation hours, capacity,
double-booking, deadline pull-forward).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from cases import legal
from cases.models import Case

BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class Proposal:
    planned_at: dt.datetime
    office_id: int | None
    counsellor_id: int | None
    mode: str
    interpreter_language: str
    duration_minutes: int


def propose_next_conversation(*, case: Case, after: dt.datetime | None = None) -> Proposal | None:
    if case.counsellor_id is None:
        return None
    after = after or timezone.now()
    playbook = case.playbook
    cadence = playbook.cadence_for(case.state) if playbook else 14
    day = timezone.localtime(after, BRUSSELS).date() + dt.timedelta(days=cadence)
    day = legal.next_working_day_on_or_after(day)
    from counselling.services import interpreter_needed

    return Proposal(
        planned_at=dt.datetime.combine(day, dt.time(10), tzinfo=BRUSSELS),
        office_id=case.office_id,
        counsellor_id=case.counsellor_id,
        mode="home_visit" if playbook and playbook.home_visit_preferred else "office",
        interpreter_language=interpreter_needed(case.person.languages, case.counsellor),
        duration_minutes=playbook.conversation_minutes if playbook else 60,
    )
