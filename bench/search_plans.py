"""EXPLAIN ANALYZE of the caseload search's two statements (the page's rows and its capped count)
for the bench's counsellor (their own open cases) and a coordinator (every case); decision 072.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<generated db> .venv/bin/python bench/search_plans.py [q] [-v]

Needs a database filled by ``manage.py seed_volume``. ``-v`` prints the plans, otherwise only
their execution times.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from cases.caseload import CaseloadFilter  # noqa: E402
from cases.models import Case, State  # noqa: E402
from cases.selectors import cases_visible_to, default_counsellor_filter  # noqa: E402
from cases.views import COUNT_CAP, PAGE_SIZE  # noqa: E402
from returnpath import roles  # noqa: E402


def main(q: str, verbose: bool) -> None:
    users = get_user_model()
    coordinator, _ = users.objects.get_or_create(username="bench.coordinator")
    coordinator.groups.add(Group.objects.get(name=roles.NATIONAL_COORDINATOR))
    case = Case.objects.filter(state=State.ORIENTATION, counsellor__isnull=False).order_by("pk").first()
    assert case is not None and case.counsellor is not None, "an empty database: run seed_volume first"
    for who, user in (("counsellor", case.counsellor), ("coordinator", users.objects.get(pk=coordinator.pk))):
        params = QueryDict(mutable=True)
        params["q"] = q
        mine = default_counsellor_filter(user)
        if mine:
            params["counsellor"] = mine
        cases = CaseloadFilter.from_params(params).apply(cases_visible_to(user), bound=COUNT_CAP + 1)
        cases = cases.select_related("person", "office", "counsellor")
        page_sql, page_params = cases[: PAGE_SIZE + 1].query.get_compiler(connection=connection).as_sql()
        count_sql, count_params = cases.order_by()[: COUNT_CAP + 1].query.get_compiler(connection=connection).as_sql()
        for name, sql, sql_params in (("rows", page_sql, page_params), ("count", f"SELECT COUNT(*) FROM ({count_sql}) t", count_params)):
            with connection.cursor() as cursor:
                for _ in range(2):  # the second run, with a warm cache
                    started = time.perf_counter()
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
                    plan = [row[0] for row in cursor.fetchall()]
                    elapsed = (time.perf_counter() - started) * 1000
            print(f"=== {who}, {name}: {elapsed:.1f} ms round trip")
            print("\n".join(plan if verbose else [line for line in plan if "Execution Time" in line]))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "-v"]
    main(arguments[0] if arguments else "amrani", "-v" in sys.argv)
