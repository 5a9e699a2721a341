"""Second factor: enrol a TOTP authenticator (secret and QR shown once), verify a code."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Code from your authenticator app"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip())
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("token", _("This code is not valid. Wait for the next code and try again."))
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """A new secret on every GET (shown once, never again); confirmed by the first valid code.

    Someone who already has an authenticator must use it first: a password alone never enrols
    a new one."""
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return HttpResponseRedirect(f"{reverse('accounts:verify')}?{urlencode({'next': _next(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-id").first()
        if device is not None and form.is_valid() and device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("token", _("This code is not valid: scan the new code below and try again."))
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(request, "accounts/enrol.html", {
        "form": form if request.method == "POST" else TokenForm(), "secret": secret, "qr": qr, "next": _next(request),
    })
