"""A second factor (TOTP, django-otp) for the roles that see or steer many people's files:
office managers, coordinators and administrators — when ``RETURNPATH_REQUIRE_SECOND_FACTOR`` is
on (by default in production). The admin is behind the same middleware (decision 025)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from returnpath import roles

# Reachable before the second factor: signing out, the two steps themselves, language and files.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/api/", "/favicon")


def needs_second_factor(user) -> bool:
    if not (settings.RETURNPATH_REQUIRE_SECOND_FACTOR and user and user.is_authenticated):
        return False
    if hasattr(user, "api_client"):  # service users of API clients sign in with tokens only
        return False
    return bool(
        user.is_superuser or user.is_staff
        or user.has_perm("cases.view_all_cases") or user.has_perm("cases.reassign_case")
        or user.groups.filter(name=roles.ADMINISTRATOR).exists()
    )


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware: a user who needs a second factor and has not given one in
    this session goes to enrolment (no device yet) or verification, whatever page they asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES)
            and not user.is_verified() and needs_second_factor(user)
        ):
            step = "accounts:verify" if user_has_device(user, confirmed=True) else "accounts:enrol"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
