"""`make run`'s demo on its embedded database: every staff page a demo login opens answers on
SQLite, not only on PostgreSQL, where the rest of the suite runs. (Decision 114's planning
capacity read arrays through raw PostgreSQL SQL, and the demo's office dashboard and operations
view answered 503 on SQLite; no test looked.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.processes import ROOT, clean_env

pytestmark = pytest.mark.slow

# What each demo login opens (README), the pages its menu links to; a case page of each role's first case.
SCRIPT = r"""
import json
from django.contrib.auth import get_user_model
from django.test import Client
from cases.selectors import cases_visible_to
pages = {
    "counsellor.brussels": ["/", "/cases/"],
    "manager.brussels": ["/", "/cases/", "/dashboards/office/", "/dashboards/conversations/", "/operations/"],
    "coordinator": ["/", "/cases/", "/dashboards/office/", "/dashboards/national/", "/dashboards/conversations/", "/operations/"],
}
answers = {}
for username, urls in pages.items():
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    case = cases_visible_to(user).order_by("id").first()
    for url in [*urls, f"/cases/{case.pk}/"]:
        answers[f"{username} {url}"] = client.get(url, HTTP_HOST="127.0.0.1").status_code
api = Client()
order = {"external_reference": "SQLITE-1", "issued_on": "2026-01-05", "notified_on": "2026-01-06", "departure_term_days": 30,
         "legal_basis": "art. 7", "person": {"family_name": "Demo", "given_names": "Sqlite", "birth_date": "1990-01-01",
         "nationality": "MA", "languages": ["fr"], "address": {"street": "Rue Haute 1", "postcode": "1000", "municipality": "Bruxelles"}}}
answer = api.post("/api/v1/orders/", json.dumps(order), content_type="application/json", HTTP_HOST="127.0.0.1",
                  HTTP_AUTHORIZATION="Token demo0000returnpath0000order0000register0000token0000000000000000")
answers["api order"] = answer.status_code
print("ANSWERS " + json.dumps(answers))
"""


def test_the_demo_pages_answer_on_sqlite(tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", CELERY_DATA_DIR=str(tmp_path / "broker"), LOG_LEVEL="WARNING")
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    answers = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("ANSWERS "))[8:])
    assert answers.pop("api order") == 201
    assert answers and {page: status for page, status in answers.items() if status != 200} == {}
