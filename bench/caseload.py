"""The caseload page's queries at scale: search and the default list, against a count(*) baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returnpath_dashboards_bench \\
        .venv/bin/python bench/caseload.py --cases 100000

Fills the database with the dashboards benchmark's generator (the database is emptied of cases
first: never point this at real data), then times, warm, median of --repeat runs, the page's two
case queries (one page of rows + the capped count) for a counsellor of the biggest office:

- baseline          ``SELECT count(*) FROM cases_case``
- default list      open cases by departure deadline
- search (1 match)  a full family name; also with the naive search (one OR over the joined
                    person and order tables, as first written) for the ratio the indexes bring
- search (prefix)   a name part that matches every person (the worst case)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboards import generate, wipe  # also sets up Django
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict

from cases.caseload import CaseloadFilter
from cases.models import Case, OrderToLeave
from cases.selectors import cases_visible_to
from offices.models import Membership


def naive_search(q: str) -> Q:
    return (
        Q(person__family_name__icontains=q) | Q(person__given_names__icontains=q) | Q(person__dossier_number__iexact=q)
        | Q(Exists(OrderToLeave.objects.filter(case=OuterRef("pk"), external_reference__iexact=q)))
    )


def timed(fn, repeat: int) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def page(queryset):
    queryset = queryset.select_related("person", "office", "counsellor")
    return lambda: (list(queryset[:26]), queryset.order_by()[:1001].count())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the cases already in the database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL (set DATABASE_URL).")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.reuse or not Case.objects.exists():
        wipe()
        generate(args.cases)
    membership = Membership.objects.filter(role="counsellor").order_by("-office__cases").first()
    user = membership.user
    visible = cases_visible_to(user)
    one = Case.objects.order_by("-pk").values_list("person__family_name", flat=True).first()
    rows = {
        "baseline count(*)": lambda: Case.objects.count(),
        "default list": page(CaseloadFilter.from_params(QueryDict("")).apply(visible)),
        "search, 1 match": page(CaseloadFilter.from_params(QueryDict(f"q={one}")).apply(visible)),
        "naive search, 1 match": page(CaseloadFilter.from_params(QueryDict("")).apply(visible).filter(naive_search(one))),
        "search, prefix of all": page(CaseloadFilter.from_params(QueryDict("q=ben")).apply(visible)),
    }
    print(f"{Case.objects.count():,} cases, {visible.count():,} visible to the counsellor")
    results = {name: timed(fn, args.repeat) for name, fn in rows.items()}
    base = results["baseline count(*)"]
    for name, seconds in results.items():
        print(f"  {name:24s} {seconds * 1000:8.1f} ms  {seconds / base:6.2f}× baseline")
    print(f"  indexed search is {results['naive search, 1 match'] / results['search, 1 match']:.0f}× faster than the naive one")


if __name__ == "__main__":
    main()
