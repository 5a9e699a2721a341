"""`make restore-drill` (issue 13, item 10): dump, restore into a scratch database, compare."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from cases.models import CaseEvent
from tests import factories as f
from tests.e2e.processes import database_url

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _drill_module():
    sys.path.insert(0, str(ROOT / "bin"))
    try:
        import restore_drill
    finally:
        sys.path.pop(0)
    return restore_drill


def test_the_drill_restores_the_database_and_finds_the_same_rows_and_event_chain(case):
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("needs PostgreSQL and its client tools")
    f.CaseFactory(office=case.office, counsellor=case.counsellor)
    drill = subprocess.run([sys.executable, "bin/restore_drill.py", "--database-url", database_url(connection.settings_dict)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "row counts match" in drill.stdout and "case-event chain matches" in drill.stdout
    with connection.cursor() as cursor:  # the scratch database is gone again
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [connection.settings_dict["NAME"] + "_restore_drill"])
        assert cursor.fetchone()[0] == 0


def test_the_chain_check_sees_a_step_that_does_not_follow_on(case):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    drill = _drill_module()
    url = database_url(connection.settings_dict)
    _digest, _checked, broken_before = drill.event_chain(url)
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.TRANSITION, from_state="departed", to_state="closed")
    digest, _checked, broken = drill.event_chain(url)
    assert broken == broken_before + 1 and digest != _digest
