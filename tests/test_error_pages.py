import pytest
from django.test import Client
from django.urls import path

from returnpath import urls as root_urls


def boom(request):
    raise RuntimeError("SELECT secret FROM table")


urlpatterns = [path("api/v1/boom/", boom), path("boom/", boom), *root_urls.urlpatterns]
handler500 = root_urls.handler500


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize("url, content_type", [("/api/v1/boom/", "application/problem+json"), ("/boom/", "text/html")])
def test_a_crash_answers_without_a_trace(url, content_type):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 500
    assert response["Content-Type"].startswith(content_type)
    body = response.content.decode()
    assert "SELECT" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert response["X-Request-ID"] in body
