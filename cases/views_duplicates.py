"""Possible duplicates between API clients' cases: the review list, merge and dismiss (decision 020)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.services.duplicates import (
    dismiss_possible_duplicate,
    duplicates_for_review,
    may_review_duplicates,
    merge_possible_duplicate,
)
from returnpath.errors import DomainError


class ReviewForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@require_GET
def duplicate_list(request):
    if not may_review_duplicates(request.user):
        raise PermissionDenied
    reviews = list(duplicates_for_review(request.user)[:200])
    return render(request, "privacy/duplicates.html", {"reviews": reviews, "form": ReviewForm(), "nav": "duplicates"})


def _review_action(request, duplicate_id: int, service, done: str):
    if not may_review_duplicates(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Explain your decision in a few words."))
    else:
        try:
            service(actor=request.user, duplicate_id=duplicate_id, note=form.cleaned_data["note"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    return HttpResponseRedirect(reverse("cases:duplicates"))


@login_required
@require_POST
def merge_duplicate(request, duplicate_id: int):
    return _review_action(request, duplicate_id, merge_possible_duplicate, _("The cases were merged."))


@login_required
@require_POST
def dismiss_duplicate(request, duplicate_id: int):
    return _review_action(request, duplicate_id, dismiss_possible_duplicate, _("Recorded as two different people."))
