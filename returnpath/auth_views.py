"""Sign-in and sign-out for staff (Django's views; the limits live in the authentication backend)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from returnpath.accounts import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _(
            "Too many failed sign-in attempts. For your safety, signing in is blocked for 15 minutes. "
            "Try again later or ask your administrator to reset your password."
        ),
    }

    def clean(self):
        # The backend refuses a locked-out attempt (for the admin's sign-in too); this only says why.
        username = self.cleaned_data.get("username") or ""
        if throttle.is_locked_out(username=username, address=throttle.client_address(self.request)):
            raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out")
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django ≥ 5): a link or an image cannot sign someone out."""
