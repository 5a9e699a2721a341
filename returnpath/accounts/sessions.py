"""Sessions end when their user is deactivated or gets a new password, and after an absolute
lifetime whatever the activity (decision 025). Signals and one middleware."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from returnpath.accounts.models import SessionPolicy

LOGIN_AT = "_returnpath_login_at"
TOUCHED_AT = "_returnpath_touched_at"
User = get_user_model()


@receiver(user_logged_in)
def _remember_sign_in_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()


@receiver(pre_save, sender=User)
def _note_what_ends_sessions(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("is_active", "password").first()
    instance._returnpath_end_sessions = before is not None and (
        (before["is_active"] and not instance.is_active) or before["password"] != instance.password
    )


@receiver(post_save, sender=User)
def _end_sessions(sender, instance, created, raw=False, **kwargs):
    if raw or created or not getattr(instance, "_returnpath_end_sessions", False):
        return
    end_sessions_of(instance)


def end_sessions_of(user) -> None:
    """Every session this user signed in before now stops working (also after a reactivation)."""
    SessionPolicy.objects.update_or_create(user=user, defaults={"sessions_valid_from": timezone.now()})


class SessionPolicyMiddleware:
    """After AuthenticationMiddleware: signs out a session older than its user's last revocation
    or than ``SESSION_ABSOLUTE_AGE`` seconds since sign-in; keeps an active session alive.

    The idle timeout (``SESSION_COOKIE_AGE``) counts from the session's last save. Saving it on
    every request cost an UPDATE per page (decision 071); it is touched at most once every
    ``RETURNPATH_SESSION_TOUCH_SECONDS`` instead, so the timeout counts from the last request
    give or take that much."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if self._expired(request, user):
                logout(request)
            else:
                self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _touch(request) -> None:
        now = time.time()
        touched_at = request.session.get(TOUCHED_AT)
        if not isinstance(touched_at, int | float) or not 0 <= now - touched_at < settings.RETURNPATH_SESSION_TOUCH_SECONDS:
            request.session[TOUCHED_AT] = now  # a change: the session middleware saves it with a new expiry

    @staticmethod
    def _expired(request, user) -> bool:
        login_at = request.session.get(LOGIN_AT)
        if not isinstance(login_at, int | float):
            return True  # a session from before this policy: sign in again
        if time.time() - login_at > settings.SESSION_ABSOLUTE_AGE:
            return True
        try:
            valid_from = user.session_policy.sessions_valid_from
        except SessionPolicy.DoesNotExist:
            return False
        return login_at < valid_from.timestamp()
