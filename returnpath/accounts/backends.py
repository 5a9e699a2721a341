"""The one place every password sign-in passes (the staff login page and the admin's)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import OuterRef, Value
from django.db.models.functions import Concat

from returnpath.accounts import throttle


class LockedOut(PermissionDenied):
    pass


def _permission_names(**match):
    """``app_label.codename`` of the permissions matching ``match``, as ModelBackend spells them."""
    return Permission.objects.filter(**match).annotate(
        full_name=Concat("content_type__app_label", Value("."), "codename")).values("full_name").order_by()


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
        # The session policy, the API client (if any) and, on PostgreSQL, the permissions come with
        # the user in one query: every page asks for them (decision 071).
        model = type(self).user_model()
        users = model._default_manager.select_related(*[name for name in ("session_policy", "api_client") if hasattr(model, name)])
        with_permissions = connections[users.db].vendor == "postgresql"
        if with_permissions:
            users = users.annotate(_user_perms=ArraySubquery(_permission_names(user=OuterRef("pk"))),
                                   _group_perms=ArraySubquery(_permission_names(group__user=OuterRef("pk"))))
        try:
            user = users.get(pk=user_id)
        except model.DoesNotExist:  # as ModelBackend: a session of a deleted user is no user
            return None
        if with_permissions and user.is_active and not user.is_superuser:
            # ModelBackend's own caches: has_perm() then asks nothing more.
            user._user_perm_cache = set(user._user_perms)
            user._group_perm_cache = set(user._group_perms)
            user._perm_cache = user._user_perm_cache | user._group_perm_cache
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def user_model():
        from django.contrib.auth import get_user_model

        return get_user_model()
