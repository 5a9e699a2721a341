"""One policy per case (issue 10 point 2): ``Playbook.for_case`` is the only place a default lives."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from cases import guards as g
from cases.models import Playbook
from counselling.scheduling import target_day
from counselling.sweeps import cases_over_no_show_limit
from tests import factories as f

# "x.playbook.field if case.playbook else 2": a default of its own, next to the policy it shadows.
SHADOW_DEFAULT = re.compile(r"playbook(_id)?\b[^\n]*\belse\s+\d")


def test_no_code_keeps_a_playbook_default_of_its_own():
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.glob("*/**/*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in ("tests", "node_modules", ".venv") or "migrations" in parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SHADOW_DEFAULT.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == [], "read Playbook.for_case(case) instead:\n" + "\n".join(offenders)


def test_the_pattern_catches_a_shadow_default():
    assert SHADOW_DEFAULT.search("limit = case.playbook.no_shows_before_lose_contact if case.playbook_id else 2")
    assert not SHADOW_DEFAULT.search("limit = Playbook.for_case(case).no_shows_before_lose_contact")


@pytest.mark.django_db
def test_a_case_follows_its_target_groups_playbook(office):
    family = Playbook.objects.get(target_group="family")
    case = f.CaseFactory(office=office, target_group="family")
    assert Playbook.for_case(case) == family


@pytest.mark.django_db
def test_a_case_without_a_playbook_follows_the_fallback(office):
    case = f.CaseFactory(office=office, playbook=None)
    policy = Playbook.for_case(case)
    assert policy.pk is None
    # The fields' defaults, and two refusals before escalation (an empty minimum would block it).
    assert (policy.intake_within_working_days, policy.cadence_days, policy.final_week_cadence_days) == (5, 14, 3)
    assert (policy.no_shows_before_lose_contact, policy.reminder_lead_hours, policy.conversation_minutes) == (2, 48, 60)
    assert policy.min_conversations_before_escalation == 2
    assert policy.home_visit_preferred is False


@pytest.mark.django_db
def test_without_a_playbook_the_guard_and_the_sweep_agree_on_the_no_show_limit(office, counsellor):
    limit = Playbook.fallback().no_shows_before_lose_contact
    below = f.CaseFactory(office=office, counsellor=counsellor, playbook=None, state="orientation", consecutive_no_shows=limit - 1)
    at = f.CaseFactory(office=office, counsellor=counsellor, playbook=None, state="orientation", consecutive_no_shows=limit)
    assert list(cases_over_no_show_limit()) == [at]
    assert g.contact_lost(at) and not g.contact_lost(below)


@pytest.mark.django_db
def test_without_a_playbook_escalation_needs_the_fallbacks_refusals(office, counsellor):
    needed = Playbook.fallback().min_conversations_before_escalation
    case = f.CaseFactory(office=office, counsellor=counsellor, playbook=None, voluntary_return_refusals=needed - 1)
    assert not g.enough_refusals_unless_flagged(case)
    case.voluntary_return_refusals = needed
    assert g.enough_refusals_unless_flagged(case)


@pytest.mark.django_db
def test_without_a_playbook_the_intake_falls_within_the_fallbacks_working_days(office, counsellor):
    notified = dt.date(2026, 3, 2)  # a Monday
    case = f.CaseFactory(office=office, counsellor=counsellor, playbook=None, first_notified_on=notified)
    _first, last, is_intake = target_day(case=case, now=timezone.now())
    assert is_intake
    assert last == dt.date(2026, 3, 9)  # five working days later
