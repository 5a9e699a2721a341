"""Every tally is vacuumed and analysed more often than PostgreSQL's defaults (decisions 066, 110)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TALLIES = ("counselling_casetally", "counselling_conversationtally", "counselling_quartertally",
           "counselling_officetally", "counselling_outcometally", "counselling_officeconversationtally")


def test_every_tally_has_its_own_vacuum_and_analyze_settings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(TALLIES)])
        options = {name: set(opts or []) for name, opts in cursor.fetchall()}
    assert set(options) == set(TALLIES)
    for table, opts in options.items():
        names = {o.split("=")[0] for o in opts}
        assert {"autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor"} <= names, (table, opts)
