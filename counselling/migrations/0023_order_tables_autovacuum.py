"""The tables every order grows get the hot tables' vacuum and analyze settings (decision 066).

``cases_ordertoleave`` and ``cases_person`` take a row per new order and ``counselling_personquarter``
a delete and an insert per order (the people recount). With PostgreSQL's defaults their
statistics were renewed after 10 % of the table changed: 120,000 orders at national scale. Until
then a client's new orders, and the people they name, were unknown to the planner, which then
chose plans for a client with few orders (decisions 119 and 124 each found one, 15–139 ms a
statement). Analysed after 2 % and vacuumed after 1 %, as the case and event tables are.
"""

from django.db import migrations

TABLES = ("cases_ordertoleave", "cases_person", "counselling_personquarter")
SETTINGS = (
    "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02"
)


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = ", ".join(part.split("=")[0].strip() for part in SETTINGS.split(","))
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({names})")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0029_planning_back_off"),
        ("counselling", "0022_outcome_tally_new_cases_skip"),
    ]

    operations = [migrations.RunPython(tune, reset)]
