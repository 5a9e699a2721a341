"""Every tally is vacuumed and analysed more often than PostgreSQL's defaults (decisions 066, 110)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TALLIES = ("counselling_casetally", "counselling_conversationtally", "counselling_quartertally",
           "counselling_officetally", "counselling_outcometally", "counselling_officeconversationtally")
# What every order grows (counselling 0023), beside the cases, events and conversations the sweeps change.
HOT = ("cases_case", "cases_caseevent", "counselling_conversation", "cases_ordertoleave", "cases_person",
       "counselling_personquarter")


@pytest.mark.parametrize("tables", [TALLIES, HOT], ids=["tallies", "hot tables"])
def test_every_tally_and_hot_table_has_its_own_vacuum_and_analyze_settings(tables):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(tables)])
        options = {name: set(opts or []) for name, opts in cursor.fetchall()}
    assert set(options) == set(tables)
    for table, opts in options.items():
        names = {o.split("=")[0] for o in opts}
        assert {"autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor",
                "autovacuum_vacuum_insert_scale_factor"} <= names, (table, opts)


def test_the_people_recount_is_planned_once_per_session():
    """Every order recounts its person (the quarter tally): left to plan_cache_mode auto, the
    recount's statement was planned anew at each call, about 1 ms of every order (decision 120)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'counselling_recount_people'")
        (config,) = cursor.fetchone()
    assert "plan_cache_mode=force_generic_plan" in (config or [])
