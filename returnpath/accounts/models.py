"""What sign-in needs to remember, in PostgreSQL (not in the cache: a Redis restart must neither
reset the limits nor break sign-in)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """One failed sign-in: counted per account, per address, and per both (decision 025)."""

    at = models.DateTimeField(db_index=True)
    # A keyed hash: a typed username may be someone's password or name; it does not belong in clear.
    username_digest = models.CharField(max_length=64, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.address or '-'}"


class SessionPolicy(models.Model):
    """Sessions signed in before ``sessions_valid_from`` are ended (deactivation, new password)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_policy")
    sessions_valid_from = models.DateTimeField()

    class Meta:
        verbose_name = _("session policy")
        verbose_name_plural = _("session policies")

    def __str__(self) -> str:
        return f"{self.user_id} {self.sessions_valid_from:%Y-%m-%d %H:%M}"
