"""Dashboards at scale: generate N cases with bulk_create, time the pages' queries, compare.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returnpath_dash_bench \\
        .venv/bin/python bench/dashboards.py --sizes 20000 200000

For each size the database is emptied of cases and refilled (offices and facilities of the
DESIGN, 5 counsellors per office, ~1.2 orders and ~3 conversations per case, placements), then
ANALYZEd. Timed, warm, median of --repeat runs:

- baseline   ``SELECT count(*) FROM cases_case`` (the floor: one pass over the case table)
- office     the office dashboard's selector queries (biggest office), and the whole page
- national   the national dashboard's selector queries, and the whole page
- export     the streamed CSV of every case (rows/s, peak Python memory while streaming)

Printed: the times, each page against the baseline of the same size, and the ratio between
the sizes. Use ``--seed-only N`` to fill a database for a demo or screenshots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Case, OrderToLeave, Person, Placement, Playbook, State, TargetGroup  # noqa: E402
from counselling.dashboards.selectors import national_dashboard, office_dashboard  # noqa: E402
from counselling.models import Conversation  # noqa: E402
from offices.models import Membership, Office  # noqa: E402
from returnpath import roles  # noqa: E402

User = get_user_model()
BATCH = 5000

REGIONAL = ["Brussels", "Antwerp", "Ghent", "Namur", "Liège", "Hasselt", "Neufchâteau"]
FACILITIES = [
    ("127bis Steenokkerzeel", Office.Kind.CLOSED_CENTRE, 120), ("Caricole", Office.Kind.CLOSED_CENTRE, 100),
    ("Bruges", Office.Kind.CLOSED_CENTRE, 104), ("Merksplas", Office.Kind.CLOSED_CENTRE, 110),
    ("Vottem", Office.Kind.CLOSED_CENTRE, 77), ("Holsbeek", Office.Kind.CLOSED_CENTRE, 28),
    ("Zulte return houses", Office.Kind.RETURN_HOUSE, 6), ("Tubize return houses", Office.Kind.RETURN_HOUSE, 5),
    ("Sint-Gillis-Waas return houses", Office.Kind.RETURN_HOUSE, 7), ("Tielt return houses", Office.Kind.RETURN_HOUSE, 3),
    ("Beauvechain return houses", Office.Kind.RETURN_HOUSE, 6), ("Open return places Holsbeek", Office.Kind.OPEN_RETURN_PLACE, 30),
]
NATIONALITIES = (["MA"] * 12 + ["DZ"] * 8 + ["AF"] * 9 + ["SY"] * 6 + ["ER"] * 5 + ["GN"] * 5 + ["CD"] * 4 + ["CM"] * 4
                 + ["TR"] * 3 + ["AL"] * 4 + ["GE"] * 4 + ["BR"] * 3 + ["IN"] * 2 + ["PS"] * 4 + ["SO"] * 3 + ["RO", "BG", ""])
STATES = [
    (State.REGISTERED, 6), (State.ORIENTATION, 30), (State.LEGAL_STAY_REVIEW, 8), (State.VOLUNTARY_RETURN, 7),
    (State.FORCED_RETURN, 5), (State.UNTRACEABLE, 8), (State.DEPARTED, 14), (State.REMOVED, 6),
    (State.LEGAL_STAY_GRANTED, 4), (State.CLOSED, 12),
]
GROUPS = [(TargetGroup.INDIVIDUAL, 55), (TargetGroup.FAMILY, 12), (TargetGroup.UNACCOMPANIED_MINOR, 4),
          (TargetGroup.OPEN_RETURN_PLACE, 8), (TargetGroup.PUBLIC_ORDER, 6), (TargetGroup.DUBLIN, 9), (TargetGroup.NO_ADDRESS, 6)]


def _pick(weighted, rng):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_placement, counselling_conversation, cases_ordertoleave, cases_caseevent, cases_legalprocedure, "
            "cases_caseaccess, cases_case, cases_person RESTART IDENTITY CASCADE"
        )


def staff() -> dict:
    """Offices, facilities and people (idempotent)."""
    offices = []
    for n, name in enumerate(REGIONAL):
        office, _ = Office.objects.get_or_create(
            code=f"bench-{n}", defaults={"name": f"{name} office", "kind": Office.Kind.REGIONAL_OFFICE, "province": "brussels"})
        offices.append(office)
    facilities = []
    for n, (name, kind, capacity) in enumerate(FACILITIES):
        facility, _ = Office.objects.get_or_create(
            code=f"bench-f{n}", defaults={"name": name, "kind": kind, "capacity": capacity, "province": "brussels"})
        facilities.append(facility)
    counsellor_group = Group.objects.get(name=roles.COUNSELLOR)
    counsellors = {}
    for office in offices:
        team = []
        for k in range(5):
            user, created = User.objects.get_or_create(
                username=f"bench.c{office.pk}.{k}", defaults={"first_name": f"Counsellor {k + 1}", "last_name": office.name.split()[0]})
            if created:
                user.groups.add(counsellor_group)
                Membership.objects.create(user=user, office=office, role=Membership.Role.COUNSELLOR)
            team.append(user)
        counsellors[office.pk] = team
    manager, created = User.objects.get_or_create(username="bench.manager", defaults={"first_name": "Office", "last_name": "Manager"})
    if created:
        manager.set_password("bench-pass-123")
        manager.save()
        manager.groups.add(Group.objects.get(name=roles.OFFICE_MANAGER))
        for office in offices:
            Membership.objects.create(user=manager, office=office, role=Membership.Role.MANAGER)
    coordinator, created = User.objects.get_or_create(username="bench.coordinator", defaults={"first_name": "National", "last_name": "Coordinator"})
    if created:
        coordinator.set_password("bench-pass-123")
        coordinator.save()
        coordinator.groups.add(Group.objects.get(name=roles.NATIONAL_COORDINATOR))
    return {"offices": offices, "facilities": facilities, "counsellors": counsellors, "manager": manager, "coordinator": coordinator}


@transaction.atomic
def generate(n: int, seed: int = 6) -> dict:
    """n cases spread over the offices, with orders, conversations and placements."""
    rng = random.Random(seed)
    people = staff()
    now = timezone.now()
    today = timezone.localdate()
    playbooks = {p.target_group: p for p in Playbook.objects.all()}

    persons = Person.objects.bulk_create(
        [Person(family_name=f"Bench{i}", given_names="Test", nationality=rng.choice(NATIONALITIES), sex=rng.choice("FMX"))
         for i in range(n)], batch_size=BATCH)
    cases, orders_per_case = [], []
    for i, person in enumerate(persons):
        office = people["offices"][min(int(rng.paretovariate(1.3)) - 1, len(people["offices"]) - 1)]
        state = _pick(STATES, rng)
        group = _pick(GROUPS, rng)
        notified = today - dt.timedelta(days=rng.randint(0, 540))
        terminal = state in (State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.CLOSED)
        outcome_day = min(today, notified + dt.timedelta(days=rng.randint(15, 240))) if terminal else None
        outcome_at = timezone.make_aware(dt.datetime.combine(outcome_day, dt.time(12))) if outcome_day else None
        counselled = state in (State.REGISTERED, State.ORIENTATION, State.LEGAL_STAY_REVIEW, State.VOLUNTARY_RETURN, State.FORCED_RETURN)
        next_at = None
        if counselled and rng.random() < 0.85:
            # A unique second per case: no counsellor is double-booked (a DB constraint).
            # (overdue ones 2 days and 1 second earlier: never on another case's second)
            offset = dt.timedelta(seconds=6 * i) - (dt.timedelta(days=2, seconds=1) if rng.random() < 0.05 else dt.timedelta(0))
            next_at = now + dt.timedelta(hours=2) + offset
        cases.append(Case(
            person=person, office=office, counsellor=rng.choice(people["counsellors"][office.pk]) if rng.random() > 0.02 else None,
            target_group=group, playbook=playbooks.get(group), state=state,
            state_entered_at=outcome_at or now - dt.timedelta(days=rng.randint(0, 300)),
            departure_deadline=notified + dt.timedelta(days=30), opened_at=timezone.make_aware(dt.datetime.combine(notified, dt.time(9))),
            next_conversation_at=next_at, outcome_at=outcome_at,
            departed_on=outcome_day if state == State.DEPARTED else None,
            removed_on=outcome_day if state == State.REMOVED else None,
            pending_suspensive_procedures=1 if state == State.LEGAL_STAY_REVIEW and rng.random() < 0.6 else 0,
            escalation_proposed_at=now - dt.timedelta(days=2) if state == State.ORIENTATION and rng.random() < 0.04 else None,
            minor_children=2 if group == TargetGroup.FAMILY else 0,
            close_reason="other" if state == State.CLOSED else "",
        ))
        orders_per_case.append((notified, 2 if rng.random() < 0.2 else 1))
    cases = Case.objects.bulk_create(cases, batch_size=BATCH)

    orders = []
    for case, (notified, count) in zip(cases, orders_per_case, strict=True):
        for k in range(count):
            day = notified + dt.timedelta(days=45 * k)
            orders.append(OrderToLeave(case=case, external_reference=f"B-{case.pk}-{k}", issued_on=day, notified_on=day,
                                       departure_term_days=30, departure_deadline=day + dt.timedelta(days=30)))
    OrderToLeave.objects.bulk_create(orders, batch_size=BATCH)

    conversations = []
    week0 = now - dt.timedelta(weeks=12)
    for case in cases:
        if case.counsellor_id is None:
            continue
        for _k in range(rng.choice((0, 1, 2, 3, 4, 5))):
            at = week0 + dt.timedelta(minutes=rng.randint(0, 12 * 7 * 24 * 60 - 60 * 24))
            status = rng.choices(["held", "no_show", "cancelled", "rescheduled"], [55, 30, 8, 7])[0]
            conversations.append(Conversation(case=case, counsellor_id=case.counsellor_id, office_id=case.office_id, planned_at=at,
                                              status=status, stance="considering" if status == "held" else ""))
        if case.next_conversation_at:
            conversations.append(Conversation(case=case, counsellor_id=case.counsellor_id, office_id=case.office_id,
                                              planned_at=case.next_conversation_at, status="planned"))
    Conversation.objects.bulk_create(conversations, batch_size=BATCH)

    # Fill each facility to 55–100 % today, and leave a history of ended stays over 12 weeks.
    placements = []
    candidates = [c for c in cases if c.state in (State.FORCED_RETURN, State.REMOVED, State.VOLUNTARY_RETURN)]
    rng.shuffle(candidates)
    current = {f.pk: int(f.capacity * rng.uniform(0.55, 1.0)) for f in people["facilities"]}
    history = {f.pk: f.capacity for f in people["facilities"]}
    for facility in people["facilities"] * max(f.capacity for f in people["facilities"]):
        if not candidates:
            break
        if current[facility.pk] > 0:
            current[facility.pk] -= 1
            case = candidates.pop()
            placements.append(Placement(case=case, facility=facility, started_on=today - dt.timedelta(days=rng.randint(0, 90))))
        elif history[facility.pk] > 0:
            history[facility.pk] -= 1
            case = candidates.pop()
            start = today - dt.timedelta(days=rng.randint(10, 95))
            placements.append(Placement(case=case, facility=facility, started_on=start,
                                        ended_on=min(today, start + dt.timedelta(days=rng.randint(5, 45)))))
    Placement.objects.bulk_create(placements, batch_size=BATCH)
    return {**people, "cases": len(cases), "orders": len(orders), "conversations": len(conversations), "placements": len(placements)}


SLOWEST: dict[str, list] = {}


def _timed(fn, repeat: int, name: str = "") -> tuple[float, int]:
    fn()  # warm
    times = []
    with CaptureQueriesContext(connection) as captured:
        fn()
    queries = len(captured.captured_queries)
    if name:
        SLOWEST[name] = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), queries


def measure(people: dict, repeat: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case")
            cursor.fetchone()

    biggest = max(people["offices"], key=lambda o: Case.objects.filter(office=o).count())
    manager, coordinator = people["manager"], people["coordinator"]
    client = Client()
    results = {"baseline": _timed(baseline, repeat)}
    results["office selectors"] = _timed(lambda: office_dashboard(user=User.objects.get(pk=manager.pk), office=biggest), repeat, "office")
    results["national selectors"] = _timed(lambda: national_dashboard(user=User.objects.get(pk=coordinator.pk)), repeat, "national")
    client.force_login(manager)
    results["office page"] = _timed(lambda: client.get(f"/dashboards/office/?office={biggest.pk}"), repeat)
    client.force_login(coordinator)
    results["national page"] = _timed(lambda: client.get("/dashboards/national/"), repeat)

    rows = 0
    t0 = time.perf_counter()
    for chunk in client.get("/dashboards/export/cases.csv").streaming_content:
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - t0
    tracemalloc.start()  # a second pass for memory: tracing slows Python down
    for _chunk in client.get("/dashboards/export/cases.csv").streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results["export all cases"] = (elapsed, rows - 1, peak)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed-only", type=int, default=0, help="fill the database with N cases and stop")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL (bulk_create, percentile_cont and ANALYZE are what is measured).")
    call_command("migrate", verbosity=0)
    if args.seed_only:
        wipe()
        made = generate(args.seed_only)
        print(f"seeded {made['cases']} cases, {made['orders']} orders, {made['conversations']} conversations, {made['placements']} placements")
        print("sign in as bench.manager / bench.coordinator, password bench-pass-123 (or force_login in a test)")
        return

    table = {}
    for size in args.sizes:
        wipe()
        t0 = time.perf_counter()
        made = generate(size)
        print(f"\n== {size:,} cases: generated in {time.perf_counter() - t0:.1f}s "
              f"({made['orders']:,} orders, {made['conversations']:,} conversations, {made['placements']:,} placements)")
        results = measure(made, args.repeat)
        table[size] = results
        base = results["baseline"][0]
        for name, (seconds, count, *extra) in results.items():
            if name == "export all cases":
                print(f"  {name:20s} {seconds * 1000:9.1f} ms  {count:,} rows ({count / seconds:,.0f} rows/s), "
                      f"peak Python memory during the export {extra[0] / 1e6:.1f} MB")
                continue
            ratio = f"{seconds / base:7.1f}× baseline" if name != "baseline" else ""
            print(f"  {name:20s} {seconds * 1000:9.1f} ms  {count:3d} queries  {ratio}")
        for page, slow in SLOWEST.items():
            print(f"  slowest queries of the {page} selectors: " + ", ".join(f"{float(q['time']) * 1000:.0f} ms {q['sql'][:60]!r}" for q in slow))
    if len(args.sizes) >= 2:
        small, large = args.sizes[0], args.sizes[-1]
        print(f"\n== {large:,} vs {small:,} cases ({large / small:.0f}× the data)")
        for name in table[small]:
            a, b = table[small][name][0], table[large][name][0]
            queries = "" if name == "export all cases" else f"  queries {table[small][name][1]} → {table[large][name][1]}"
            print(f"  {name:20s} {b / a:6.1f}× slower{queries}")


if __name__ == "__main__":
    main()
