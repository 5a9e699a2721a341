"""The demo API client of ``seed_demo``: every scope, and a token known in advance for the README."""

from __future__ import annotations

from django.db import transaction
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS

from cases.api.auth import ALL_SCOPES, create_client_token
from cases.api.models import ApiClient

DEMO_CLIENT_NAME = "demo-order-register"
# Public on purpose: it is printed by seed_demo and used in the README's curl examples.
DEMO_TOKEN = "demo0000returnpath0000order0000register0000token0000000000000000"  # noqa: S105 - a documented demo token


@transaction.atomic
def ensure_demo_client(token: str | None = None) -> tuple[ApiClient, str]:
    """The demo client with all scopes and ``token`` (default: the documented demo token) usable.

    Idempotent: run twice, still one client and one demo token.
    """
    token = token or DEMO_TOKEN
    client = ApiClient.objects.filter(name=DEMO_CLIENT_NAME).first()
    if client is None:
        client, _created, issued = create_client_token(name=DEMO_CLIENT_NAME, scopes=list(ALL_SCOPES), issuing_region="brussels")
        AuthToken.objects.filter(digest=hash_token(issued)).delete()  # only the known token, no stray random one
    else:
        if set(client.scopes) != set(ALL_SCOPES) or not client.is_active:
            client.scopes, client.is_active = list(ALL_SCOPES), True
            client.save(update_fields=["scopes", "is_active"])
    digest = hash_token(token)
    if not AuthToken.objects.filter(digest=digest).exists():
        # Not AuthToken.objects.create(): knox's manager invents a random token; this one is known.
        AuthToken(digest=digest, token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], user=client.user, expiry=None).save(force_insert=True)
    return client, token
