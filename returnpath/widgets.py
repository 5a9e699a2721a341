"""Form widgets the project's pages share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> SafeString:
    """``django/forms/widgets/attrs.html``: in their order, ``True`` bare, ``False`` left out."""
    return format_html_join(
        "", " {}{}", ((name, "" if value is True else format_html('="{}"', value)) for name, value in attrs.items() if value is not False)
    )


class LongSelect(forms.Select):
    """A select of many options (the 250 countries) written in Python, with the markup of Django's
    own templates (``select.html``, ``option.html``, ``attrs.html``) less their whitespace: the
    template renderer includes two templates per option, and a case page holds three country
    lists (8 ms each here, 1.5 ms this way; docs/performance.md). The form field's wrapper
    (``templates/partials/field.html``) reads ``field-longselect`` instead of ``field-select``;
    no style or script looks for either."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        found = False

        def options(choices: Iterable) -> Iterator[SafeString]:
            nonlocal found
            for option_value, label in choices:
                if isinstance(label, (list, tuple)):
                    yield format_html('<optgroup label="{}">{}</optgroup>', option_value, mark_safe("".join(options(label))))
                    continue
                text = "" if option_value is None else str(option_value)
                selected = text in chosen and (not found or self.allow_multiple_selected)
                found = found or selected
                yield format_html('<option value="{}"{}>{}</option>', text, mark_safe(" selected") if selected else "", label)

        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        return format_html('<select name="{}"{}>{}</select>', name, _attrs(final), mark_safe("".join(options(self.choices))))
