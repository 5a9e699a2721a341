"""Headers on every answer (decision 021): CSP without inline scripts, no-store, Permissions-Policy, COOP."""

import re

import pytest
from django.urls import reverse

from tests.cases.test_api_support import token_client

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.cases.test_api_support"]


def assert_private_headers(response):
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_fragments_and_letters_are_never_stored(client, case, counsellor):
    client.force_login(counsellor)
    for url in ("/", "/cases/", reverse("cases:detail", args=[case.pk]), reverse("cases:timeline", args=[case.pk]),
                reverse("login"), "/no-such-page/"):
        assert_private_headers(client.get(url))


def test_api_answers_are_never_stored(make_api_client, case):
    _client, token = make_api_client("reader", scopes=["cases:read_all"])
    api = token_client(token)
    for url in ("/api/v1/cases/", f"/api/v1/cases/{case.pk}/", "/api/v1/nothing/"):
        assert_private_headers(api.get(url))
    assert_private_headers(token_client(None).get("/api/v1/cases/"))


def test_no_template_has_an_inline_script_or_handler():
    from pathlib import Path

    from django.conf import settings

    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+=", text), path


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_api_schema_and_docs_need_sign_in_when_the_setting_says_so(client, counsellor, settings, url):
    settings.RETURNPATH_API_DOCS_REQUIRE_LOGIN = True
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(counsellor)
    response = client.get(url)
    assert response.status_code == 200
    assert_private_headers(response)
    if url == "/api/docs/":  # Swagger UI's start-up script is a file of its own
        assert client.get(url + "?script=").status_code == 200
    settings.RETURNPATH_API_DOCS_REQUIRE_LOGIN = False
    client.logout()
    assert client.get(url).status_code == 200  # development: open
