"""The planning sweep with a backlog of stuck cases (decision 123).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a copy of the 1M bench database> \\
        .venv/bin/python bench/stuck_backlog.py --setup 20000      # once: makes N cases stuck
    DATABASE_URL=... .venv/bin/python bench/stuck_backlog.py --measure  # two sweeps, timed
    DATABASE_URL=... .venv/bin/python bench/stuck_backlog.py --orders 2000 --measure

``--setup`` changes the database (never point it at real data): every counsellor of the Brussels
region takes no conversation a day any more (``conversations_per_day = 0``: every day of the
horizon is full, at every office of the region, so the overflow finds nothing either), and N
counselled Brussels cases lose their planned conversation (cancelled, ``next_conversation_at``
cleared, as the cancelling service leaves them), then ``VACUUM ANALYZE``. ``--measure`` runs
``plan_missing_conversations()`` twice and prints each run's time and counts: the first examines
the backlog, the second is the sweep "with nothing to do". ``--orders N`` first opens N cases
from orders for Brussels postcodes (``open_case_from_order``) and runs, for each, what the
order's Celery task runs after commit (``plan_next_for_case``), as a client posting a load of
orders into a region without capacity would leave the database.
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


def orders(n: int) -> None:
    import datetime as dt
    import uuid

    from django.utils import timezone

    from cases import services
    from counselling.scheduling import plan_next_for_case
    from returnpath.actors import SYSTEM

    today, tag = timezone.localdate(), uuid.uuid4().hex[:8]
    started, opened = time.perf_counter(), []
    for i in range(n):
        who = services.PersonData(family_name=f"Stuck{tag}", given_names=f"N{i}", birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
                                  sex="F", nationality="MA", postcode=str(1000 + i % 200), municipality="Brussel", languages=("fr",))
        data = services.OrderData(external_reference=f"STUCK-{tag}-{i}", issued_on=today - dt.timedelta(days=3),
                                  notified_on=today - dt.timedelta(days=2), departure_term_days=30, person=who)
        opened.append(services.open_case_from_order(actor=SYSTEM, data=data).case.pk)
    print(f"{n} orders opened in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    planned = sum(1 for pk in opened if plan_next_for_case(case_id=pk) is not None)
    print(f"their tasks: {planned} planned, {n - planned} not, in {time.perf_counter() - started:.1f} s", flush=True)


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
    parser.add_argument("--orders", type=int, metavar="N")
    parser.add_argument("--measure", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    if args.setup:
        setup(args.setup)
    if args.orders:
        orders(args.orders)
    if args.measure:
        measure()


if __name__ == "__main__":
    main()
