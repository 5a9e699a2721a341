"""Who is calling: knox tokens of an API client's service user, and the client's scopes."""

from __future__ import annotations

import binascii
import datetime as dt
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from cases.api.models import ApiClient
from returnpath import roles
from returnpath.precompiled import precompiled

ALL_SCOPES = tuple(ApiClient.Scope.values)


def _tokens(*, token_key: str):
    return AuthToken.objects.filter(token_key=token_key).select_related("user__api_client")


class ApiTokenAuthentication(TokenAuthentication):
    """Knox's hashed, revocable, optionally expiring tokens; refused when the client is disabled.

    One query per request: the token row comes with its user and the user's API client (knox's own
    lookup reads the user's other tokens on every request to delete the expired ones; an expired
    token is deleted here when it is presented, and ``manage.py create_api_client`` lists the
    others)."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:  # knox would let this escape as a 500
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        candidates = precompiled(("api.token",), _tokens, token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=auth_token.user.get_username(), source="auth_token")
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(_("Invalid token."))

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        client = getattr(user, "api_client", None) if hasattr(user, "api_client") else None  # joined above
        if client is None or not client.is_active:
            raise exceptions.AuthenticationFailed(_("This API client is disabled."))
        return user, token


def client_of(request) -> ApiClient | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "api_client", None) if hasattr(user, "api_client") else None


class MissingScope(exceptions.PermissionDenied):
    default_code = "missing_scope"


class HasScope(BasePermission):
    """The view's ``required_scopes`` maps a method to the scope it needs (any of a tuple)."""

    def has_permission(self, request, view) -> bool:
        client = client_of(request)
        if client is None:
            if not request.user or not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            raise exceptions.PermissionDenied(_("Only API clients may use this API."))
        needed = view.required_scopes.get(request.method, ())
        if isinstance(needed, str):
            needed = (needed,)
        if needed and not any(client.has_scope(scope) for scope in needed):
            raise MissingScope(
                _("This operation needs the scope %(scope)s, which the API client %(client)s does not have.")
                % {"scope": " or ".join(needed), "client": client.name}
            )
        return True


def service_username(name: str) -> str:
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in name.lower())[:120]
    return f"api-{slug}"


@transaction.atomic
def create_client_token(
    *, name: str, scopes: list[str] | tuple[str, ...], expires_in: dt.timedelta | None = None, issuing_region: str = "",
    throttle_rate: str | None = None,
) -> tuple[ApiClient, bool, str]:
    """Create the client (and its service user in the "api client" group) or reuse it by name,
    and issue a new token. Returns (client, created, token); the token is shown once, stored hashed."""
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(ALL_SCOPES)}.")
    client = ApiClient.objects.select_for_update().filter(name=name).first()
    created = client is None
    if client is None:
        user, _created = get_user_model().objects.get_or_create(
            username=service_username(name), defaults={"first_name": name[:150], "is_active": True}
        )
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=roles.API_CLIENT))
        client = ApiClient.objects.create(name=name, user=user, scopes=list(scopes), issuing_region=issuing_region,
                                          **({"throttle_rate": throttle_rate} if throttle_rate else {}))
    else:
        changed = []
        if scopes and set(scopes) != set(client.scopes):
            client.scopes = sorted(set(scopes))
            changed.append("scopes")
        if issuing_region and issuing_region != client.issuing_region:
            client.issuing_region = issuing_region
            changed.append("issuing_region")
        if changed:
            client.save(update_fields=changed)
    _instance, token = AuthToken.objects.create(user=client.user, expiry=expires_in)
    return client, created, token


def purge_expired_tokens() -> int:
    """Delete the tokens past their expiry (Celery beat, nightly). A token is refused from its
    expiry on whether or not it is still stored (``ApiTokenAuthentication``); this keeps a client
    that was given short-lived tokens from piling up rows of dead digests. Idempotent."""
    deleted, _by_model = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
