"""The planning sweep with a backlog of stuck cases (decision 123).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a copy of the 1M bench database> \\
        .venv/bin/python bench/stuck_backlog.py --setup 20000      # once: makes N cases stuck
    DATABASE_URL=... .venv/bin/python bench/stuck_backlog.py --measure  # two sweeps, timed

``--setup`` changes the database (never point it at real data): every counsellor of the Brussels
region takes no conversation a day any more (``conversations_per_day = 0``: every day of the
horizon is full, at every office of the region, so the overflow finds nothing either), and N
counselled Brussels cases lose their planned conversation (cancelled, ``next_conversation_at``
cleared, as the cancelling service leaves them), then ``VACUUM ANALYZE``. ``--measure`` runs
``plan_missing_conversations()`` twice and prints each run's time and counts: the first examines
the backlog, the second is the sweep "with nothing to do".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")
os.environ["CELERY_BROKER_URL"] = "memory://"

COUNSELLED = ("registered", "orientation", "legal_stay_review", "voluntary_return", "forced_return")


def setup(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE offices_staffprofile SET conversations_per_day = 0 WHERE user_id IN (
                   SELECT m.user_id FROM offices_membership m JOIN offices_office o ON o.id = m.office_id
                   WHERE o.province = 'brussels' AND m.role = 'counsellor')"""
        )
        cursor.execute(
            """CREATE TEMP TABLE stuck AS SELECT c.id FROM cases_case c JOIN offices_office o ON o.id = c.office_id
               WHERE o.province = 'brussels' AND c.state = ANY(%s) AND c.next_conversation_at IS NOT NULL
                 AND c.counsellor_id IS NOT NULL ORDER BY c.id LIMIT %s""",
            [list(COUNSELLED), n],
        )
        cursor.execute("UPDATE counselling_conversation SET status = 'cancelled' WHERE status = 'planned' AND case_id IN (SELECT id FROM stuck)")
        cursor.execute("UPDATE cases_case SET next_conversation_at = NULL WHERE id IN (SELECT id FROM stuck)")
        cursor.execute("SELECT count(*) FROM stuck")
        print(f"stuck: {cursor.fetchone()[0]} Brussels cases without a planned conversation, no capacity in the region")
    connection.close()
    import psycopg2

    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    conn.autocommit = True
    with conn.cursor() as cursor:
        for table in ("cases_case", "counselling_conversation", "offices_staffprofile"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def measure() -> None:
    from counselling import sweeps

    for run in ("first", "second"):
        started = time.perf_counter()
        counts = sweeps.plan_missing_conversations()
        elapsed = time.perf_counter() - started
        print(f"{run} sweep: {elapsed * 1000:.1f} ms {counts}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", type=int, metavar="N")
    parser.add_argument("--measure", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    if args.setup:
        setup(args.setup)
    if args.measure:
        measure()


if __name__ == "__main__":
    main()
