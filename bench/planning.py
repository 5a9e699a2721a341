"""Planning throughput: the bulk planning sweep against the per-case service loop, same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returnpath_sched_bench .venv/bin/python bench/planning.py [--cases 2000]

The database named in DATABASE_URL is dropped and recreated (never point this at real data).
Two identical caseloads (own office, own counsellors) are planned: one by
``counselling.sweeps.plan_missing_conversations`` (batches of 500, one agenda query and bulk
writes per batch), one by ``plan_missing_one_by_one`` (``plan_next_for_case`` per case: lock,
propose, ``plan_conversation``). The ratio is what to read; absolute figures depend on the box.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")
# The per-case loop queues an invitation task per conversation after commit: publish them to
# kombu's in-memory transport, not to the demo's filesystem queue or a shared Redis.
os.environ["CELERY_BROKER_URL"] = "memory://"


def recreate_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the bench database name must end in _bench")
    conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def caseload(tag: str, cases: int, counsellors: int):
    from django.contrib.auth import get_user_model

    from cases.models import Case, Person, Playbook
    from offices.models import ConsultationHours, Membership, Office, StaffProfile

    office = Office.objects.create(code=f"BENCH-{tag}", name=f"Bench {tag}", kind="regional_office", province="brussels",
                                   languages=["fr", "nl"])
    ConsultationHours.objects.bulk_create(
        [ConsultationHours(office=office, weekday=d, opens=dt.time(9), closes=dt.time(12)) for d in range(5)]
        + [ConsultationHours(office=office, weekday=d, opens=dt.time(13), closes=dt.time(17)) for d in range(5)]
    )
    users = []
    for index in range(counsellors):
        user = get_user_model().objects.create(username=f"bench-{tag}-{index}")
        StaffProfile.objects.create(user=user, languages=["fr", "nl"], conversations_per_day=6)
        Membership.objects.create(user=user, office=office)
        users.append(user)
    playbook = Playbook.objects.get(target_group="individual")
    people = Person.objects.bulk_create(
        [Person(family_name=f"B{tag}{i}", languages=["ar"] if i % 4 == 0 else ["fr"], postcode="1000") for i in range(cases)]
    )
    Case.objects.bulk_create([
        Case(person=p, office=office, counsellor=users[i % counsellors], playbook=playbook, target_group="individual",
             departure_deadline=dt.date.today() + dt.timedelta(days=30))
        for i, p in enumerate(people)
    ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--counsellors", type=int, default=40)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database whose name ends in _bench")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from counselling import sweeps
    from counselling.models import Conversation

    caseload("A", args.cases, args.counsellors)
    started = time.perf_counter()
    bulk = sweeps.plan_missing_conversations()
    bulk_seconds = time.perf_counter() - started

    caseload("B", args.cases, args.counsellors)
    started = time.perf_counter()
    loop = sweeps.plan_missing_one_by_one()
    loop_seconds = time.perf_counter() - started

    assert bulk["planned"] == loop["planned"] == args.cases, (bulk, loop)
    same = sorted(Conversation.objects.filter(office__code="BENCH-A").values_list("planned_at", flat=True)) == sorted(
        Conversation.objects.filter(office__code="BENCH-B").values_list("planned_at", flat=True)
    )
    bulk_rate, loop_rate = args.cases / bulk_seconds, args.cases / loop_seconds
    print(f"cases: {args.cases}, counsellors: {args.counsellors} (6 a day)")
    print(f"sweep (bulk, batches of {sweeps.batch_size()}): {bulk_seconds:.2f} s  {bulk_rate:,.0f} cases/s")
    print(f"per-case service loop:              {loop_seconds:.2f} s  {loop_rate:,.0f} cases/s")
    print(f"ratio sweep/loop: {bulk_rate / loop_rate:.1f}x; identical slots chosen: {same}")


if __name__ == "__main__":
    main()
