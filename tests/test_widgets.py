"""The long select writes what Django's templates write, and country lists speak the reader's language."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils import translation

from returnpath.widgets import LongSelect

CHOICES = [("", "—"), ("a&b", 'A <b> & "q"'), ("group", [("x", "X"), ("y", "Y"), ("a&b", "again")]), (3, "three"), (None, "none")]


def _markup(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("value", [None, "", "a&b", "y", 3, "3", "nothing"])
@pytest.mark.parametrize("attrs", [{"id": "id_f", "required": True, "aria-describedby": "id_f_helptext"},
                                   {"disabled": True, "data-x": "1", "hidden": False}, {}])
def test_a_long_select_is_django_s_select_without_the_templates(value, attrs):
    ours = LongSelect(choices=CHOICES, attrs={"class": "wide"}).render("f", value, attrs)
    django = forms.Select(choices=CHOICES, attrs={"class": "wide"}).render("f", value, attrs)
    assert _markup(ours) == _markup(django)
    assert ours.count(" selected") == (0 if value == "nothing" else 1)  # the first match only, as Django (None: the empty one)


def test_country_lists_are_named_in_the_reader_s_language():
    from cases.forms import INPUT_FIELDS
    from cases.returns.forms import ConsularRequestForm, ReferralForm, TravelDocumentForm

    forms_shown = [lambda: TravelDocumentForm().fields["country"], lambda: INPUT_FIELDS["destination_country"](),
                   lambda: ReferralForm().fields["destination_country"], lambda: ConsularRequestForm().fields["country"]]
    for language, germany in (("nl", "Duitsland"), ("fr", "Allemagne"), ("en", "Germany")):
        with translation.override(language):
            for field in forms_shown:
                shown = field()
                assert dict(shown.choices)["DE"] == germany
                assert f'<option value="DE">{germany}</option>' in shown.widget.render("c", None)
