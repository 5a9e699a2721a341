"""The access log answers "who saw this person" (decision 022)."""

import csv
import io
import json

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from cases.models import CaseAccess
from tests import factories as f
from tests.cases.test_api_support import token_client

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.cases.test_api_support"]
UA = "Mozilla/5.0 test"


def _rows(**kw):
    return list(CaseAccess.objects.filter(**kw).order_by("id"))


def test_every_staff_read_is_logged_with_address_agent_and_result(client, case, counsellor, other_office):
    client.force_login(counsellor)
    conversation = f.ConversationFactory(case=case, office=case.office, counsellor=counsellor)
    reads = {
        "web": reverse("cases:detail", args=[case.pk]),
        "timeline": reverse("cases:timeline", args=[case.pk]),
        "letter": reverse("operations:letter", args=[conversation.pk]),
    }
    for via, url in reads.items():
        client.get(url, REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT=UA)
        row = _rows(via=via)[-1]
        assert (row.case_id, row.user, row.user_label, row.address, row.user_agent, row.result) == (
            case.pk, counsellor, counsellor.get_full_name() or counsellor.username, "192.0.2.7", UA, "ok"), via
    client.post(reverse("cases:caseload"), {"q": case.person.family_name}, follow=True)
    listed = _rows(via="caseload")
    assert [r.case_id for r in listed] == [case.pk] and case.person.family_name not in str(listed[0].detail)
    elsewhere = f.CaseFactory(office=other_office)
    assert client.get(reverse("cases:detail", args=[elsewhere.pk])).status_code == 404
    miss = _rows(via="web")[-1]
    assert miss.case_id is None and miss.result == "not_found" and miss.detail == {"case_id": str(elsewhere.pk)}


def test_exports_record_filter_row_count_and_cases(client, case, coordinator):
    client.force_login(coordinator)
    other = f.CaseFactory()
    response = client.get(reverse("dashboards:export_cases") + "?state=registered")
    b"".join(response.streaming_content)
    rows = _rows(via="export_cases")
    assert {r.case_id for r in rows} == {case.pk, other.pk}
    assert rows[0].detail == {"filter": {"state": "registered"}, "rows": 2}


def test_api_reads_name_the_client(make_api_client, case):
    api_client, token = make_api_client("reader", scopes=["cases:read_all"])
    api = token_client(token)
    api.get("/api/v1/cases/", REMOTE_ADDR="198.51.100.1")
    api.get(f"/api/v1/cases/{case.pk}/")
    api.get("/api/v1/cases/999999/")
    assert [(r.via, r.client_label, r.result) for r in _rows(user=api_client.user)] == [
        ("api", "reader", "ok"), ("api", "reader", "ok"), ("api", "reader", "not_found")]
    assert _rows(user=api_client.user)[0].address == "198.51.100.1"


def test_admin_case_and_person_pages_are_logged(client, case):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200
    assert client.get(reverse("admin:cases_person_change", args=[case.person_id])).status_code == 200
    assert [(r.via, r.case_id) for r in _rows(user=admin)] == [("admin", case.pk), ("admin", case.pk)]


def test_rows_survive_the_user_and_refuse_changes(client, case, coordinator):
    client.force_login(coordinator)
    client.get(reverse("cases:detail", args=[case.pk]))
    row = _rows()[0]
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        CaseAccess.objects.all().delete()
    coordinator.delete()  # SET NULL is the one change the database allows
    row = CaseAccess.objects.get()
    assert row.user is None and row.user_label


@pytest.mark.postgres
def test_the_database_itself_refuses_update_and_delete(case, counsellor):
    CaseAccess.objects.create(case=case, user=counsellor, via="web")
    for sql in ("UPDATE cases_caseaccess SET via = 'x'", "DELETE FROM cases_caseaccess"):
        with pytest.raises((InternalError, IntegrityError, Exception)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert CaseAccess.objects.get().via == "web"


def test_managers_see_who_looked_and_coordinators_export_a_persons_history(client, case, manager, counsellor, coordinator):
    client.force_login(counsellor)
    client.get(reverse("cases:detail", args=[case.pk]), REMOTE_ADDR="192.0.2.9")
    assert client.get(reverse("cases:access_log", args=[case.pk])).status_code == 403
    client.force_login(manager)
    page = client.get(reverse("cases:access_log", args=[case.pk]))
    assert page.status_code == 200 and "192.0.2.9" in page.content.decode()
    assert client.get(reverse("cases:person_access_export", args=[case.pk])).status_code == 403
    client.force_login(coordinator)
    export = client.get(reverse("cases:person_access_export", args=[case.pk]))
    table = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {"web", "access_log"} <= {r["via"] for r in table}
    assert _rows(via="access_export")[0].user == coordinator


def test_subject_access_export_needs_a_reason_and_is_logged(client, case, coordinator, counsellor):
    f.ConversationFactory(case=case, office=case.office, counsellor=case.counsellor, notes="Talked about family")
    client.force_login(counsellor)
    client.get(reverse("cases:detail", args=[case.pk]))
    assert client.post(reverse("cases:subject_access", args=[case.pk]), {"reason": "x"}).status_code == 403
    client.force_login(coordinator)
    assert client.post(reverse("cases:subject_access", args=[case.pk]), {"reason": ""}).status_code == 200
    response = client.post(reverse("cases:subject_access", args=[case.pk]), {"reason": "Request 2026/17"})
    report = json.loads(response.content)
    assert report["person"]["family_name"] == case.person.family_name
    assert report["cases"][0]["conversations"][0]["notes"] == "Talked about family"
    assert report["cases"][0]["conversations"][0]["history"][0]["notes"] == "Talked about family"
    assert [row["via"] for row in report["cases"][0]["cases.caseaccess.case"]] == ["web"]
    assert report["person_related"]["history"][0]["family_name"] == case.person.family_name
    assert _rows(via="subject_access")[0].detail == {"reason": "Request 2026/17"}


@pytest.mark.django_db(transaction=True)
def test_a_list_of_cases_is_logged_in_one_statement_like_one_case(counsellor):
    """Outside a transaction (a web request) a page of one case and a page of many cost the same
    one INSERT (issue 15: the caseload's query count does not grow with the caseload)."""
    from django.test.utils import CaptureQueriesContext

    from cases.access_log import record_access

    cases = [f.CaseFactory() for _ in range(3)]
    assert not hasattr(counsellor, "api_client")  # read once, as the sign-in backend does with the user
    with CaptureQueriesContext(connection) as one:
        record_access(actor=counsellor, via="caseload", cases=cases[:1])
    with CaptureQueriesContext(connection) as many:
        record_access(actor=counsellor, via="caseload", cases=cases, detail={"page": 2})
    assert len(one) == len(many) == 1 and many.captured_queries[0]["sql"].startswith("INSERT")
    logged = CaseAccess.objects.filter(via="caseload").order_by("pk")
    assert [row.case_id for row in logged] == [cases[0].pk, *[c.pk for c in cases]]
    assert all(row.user_id == counsellor.pk and row.result == CaseAccess.Result.OK for row in logged)
    assert logged.last().detail == {"page": 2} and logged.last().at is not None
