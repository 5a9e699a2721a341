"""Sign-in (decision 025): limits per account, per address across accounts and per both, in the
database; sessions ended by deactivation, a new password and an absolute lifetime; a second factor."""

import socket
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from returnpath import roles
from returnpath.accounts.models import LoginFailure
from returnpath.accounts.sessions import LOGIN_AT
from tests import factories as f

PASSWORD = "secret-pass-123"  # what the factories set
pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD, address="10.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_one_password_sprayed_over_many_accounts_from_one_address_is_stopped(client, counsellor, settings):
    for n in range(settings.LOGIN_MAX_FAILURES_PER_ADDRESS):
        sign_in(client, f"someone{n}", "Summer2026!")
    response = sign_in(client, "counsellor.test")  # even the right password, from that address
    assert "Too many failed sign-in attempts" in response.content.decode() and not signed_in(client)
    assert sign_in(Client(), "counsellor.test", address="10.0.0.2").status_code == 302


def test_guessing_one_account_from_many_addresses_is_stopped(client, counsellor, settings):
    for n in range(settings.LOGIN_MAX_FAILURES_PER_USER):
        sign_in(Client(), "counsellor.test", "wrong", address=f"10.1.0.{n}")
    assert not signed_in(client) and sign_in(client, "counsellor.test", address="10.9.9.9").status_code == 200


def test_the_admin_sign_in_counts_and_is_refused_too(client, settings):
    admin = f.UserFactory(username="admin.test", is_staff=True, is_superuser=True)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS):
        sign_in(client, admin.username, "wrong", url="/admin/login/")
    assert LoginFailure.objects.count() == settings.LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS
    sign_in(client, admin.username, url="/admin/login/")
    assert not signed_in(client)


def test_a_success_clears_the_accounts_failures_not_the_addresss(client, counsellor):
    sign_in(client, "counsellor.test", "wrong")
    sign_in(client, "nobody", "wrong")
    assert sign_in(client, "counsellor.test").status_code == 302
    assert LoginFailure.objects.count() == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sign_in_works_and_limits_hold_with_redis_down_or_emptied(client, counsellor, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0"}}
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS):
        assert sign_in(client, "counsellor.test", "wrong").status_code == 200  # counted, no 500
    assert not signed_in(client) and sign_in(client, "counsellor.test").status_code == 200  # still locked
    # A Redis restart empties nothing that matters here: the counts are rows in PostgreSQL.
    assert LoginFailure.objects.count() == settings.LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS
    assert sign_in(Client(), "counsellor.test", address="10.0.0.7").status_code == 302


@pytest.mark.parametrize("change", ["deactivate", "password"])
def test_deactivation_and_a_new_password_end_every_session_for_good(change, counsellor):
    browser = Client()
    browser.force_login(counsellor)
    assert browser.get(reverse("counselling:my_day")).status_code == 200
    if change == "deactivate":
        counsellor.is_active = False
        counsellor.save()
        counsellor.is_active = True  # reactivated later: the old session must not come back
        counsellor.save()
    else:
        counsellor.set_password("another-pass-456")
        counsellor.save()
    assert browser.get(reverse("counselling:my_day")).status_code == 302
    fresh = Client()
    password = PASSWORD if change == "deactivate" else "another-pass-456"
    assert sign_in(fresh, "counsellor.test", password).status_code == 302
    assert fresh.get(reverse("counselling:my_day")).status_code == 200


def test_absolute_session_lifetime(client, counsellor, settings):
    client.force_login(counsellor)
    assert client.get(reverse("counselling:my_day")).status_code == 200
    session = client.session
    session[LOGIN_AT] = time.time() - settings.SESSION_ABSOLUTE_AGE - 1
    session.save()
    assert client.get(reverse("counselling:my_day")).status_code == 302


# --- second factor ----------------------------------------------------------------------------

@pytest.fixture
def second_factor(settings):
    settings.RETURNPATH_REQUIRE_SECOND_FACTOR = True


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.mark.parametrize("who", ["manager", "coordinator", "administrator"])
def test_the_second_factor_is_required_for_steering_roles_and_the_admin(second_factor, client, manager, coordinator, who):
    user = {"manager": manager, "coordinator": coordinator,
            "administrator": f.UserFactory(username="admin.test", is_staff=True, groups=[roles.ADMINISTRATOR])}[who]
    client.force_login(user)
    for url in ("/cases/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:enrol"))
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(reverse("accounts:enrol"), {"token": "000000" if _code(device) != "000000" else "111111"}).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)  # the refused attempt showed a new secret
    assert client.post(reverse("accounts:enrol"), {"token": _code(device), "next": "/cases/"})["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    # Next sign-in: the code of the enrolled device, and no new enrolment with the password alone.
    again = Client()
    again.force_login(user)
    assert again.get("/cases/")["Location"].startswith(reverse("accounts:verify"))
    assert again.get(reverse("accounts:enrol"))["Location"].startswith(reverse("accounts:verify"))
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    assert again.post(reverse("accounts:verify"), {"token": _code(device), "next": "/cases/"}).status_code == 302
    assert again.get("/cases/").status_code == 200


def test_counsellors_and_the_default_setting_need_no_second_factor(client, counsellor, manager, settings):
    settings.RETURNPATH_REQUIRE_SECOND_FACTOR = True
    client.force_login(counsellor)
    assert client.get("/cases/").status_code == 200
    settings.RETURNPATH_REQUIRE_SECOND_FACTOR = False
    client.force_login(manager)
    assert client.get("/cases/").status_code == 200


def test_the_setting_is_on_in_production_by_default():
    import importlib
    import os

    from returnpath.conf import privacy

    old = os.environ.get("DJANGO_ENV")
    os.environ["DJANGO_ENV"] = "production"
    try:
        assert importlib.reload(privacy).RETURNPATH_REQUIRE_SECOND_FACTOR is True
        assert privacy.RETURNPATH_API_DOCS_REQUIRE_LOGIN is True
    finally:
        if old is None:
            os.environ.pop("DJANGO_ENV")
        else:
            os.environ["DJANGO_ENV"] = old
        importlib.reload(privacy)
    assert get_user_model()  # the app still loads


def test_an_active_session_is_kept_alive_without_a_write_per_request(client, counsellor, settings):
    """The idle timeout counts from the last request, give or take RETURNPATH_SESSION_TOUCH_SECONDS
    (decision 071): within that time a page does not write the session."""
    from django.contrib.sessions.models import Session

    from returnpath.accounts.sessions import TOUCHED_AT

    client.force_login(counsellor)
    client.get(reverse("cases:caseload"))
    key = client.session.session_key
    first_expiry = Session.objects.get(session_key=key).expire_date
    client.get(reverse("cases:caseload"))
    assert Session.objects.get(session_key=key).expire_date == first_expiry  # touched a moment ago: no write

    session = client.session
    session[TOUCHED_AT] = time.time() - settings.RETURNPATH_SESSION_TOUCH_SECONDS - 1
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    time.sleep(0.01)
    assert client.get(reverse("cases:caseload")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > saved  # a minute on: the idle timeout starts again
    assert client.session[TOUCHED_AT] > time.time() - 5
