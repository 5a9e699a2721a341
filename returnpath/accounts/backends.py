"""The one place every password sign-in passes (the staff login page and the admin's)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from returnpath.accounts import throttle


class LockedOut(PermissionDenied):
    pass


class ThrottledModelBackend(ModelBackend):
    """Django's backend behind the failure limits: a locked-out attempt is refused without even
    checking the password (so guessing stops teaching anything), a failure is counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username", "")
        address = throttle.client_address(request)
        if throttle.is_locked_out(username=username or "", address=address):
            raise LockedOut
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.record_failure(username=username or "", address=address)
        else:
            throttle.reset(username=username)
        return user

    def get_user(self, user_id):
        # The session policy comes with the user in one query: the session check costs nothing extra.
        try:
            user = type(self).user_model()._default_manager.select_related("session_policy").get(pk=user_id)
        except Exception:
            return None
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def user_model():
        from django.contrib.auth import get_user_model

        return get_user_model()
