"""Small template helpers of the browser interface."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import languages

register = template.Library()


@register.simple_tag
def url_or_none(name: str, *args) -> str:
    """The URL of ``name``, or "" when no such URL is wired (yet): the nav never crashes."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes them)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def days_left_text(days: int | None) -> str:
    """Days to a deadline in words (the urgency is also written, never shown by colour alone)."""
    if days is None:
        return _("no deadline")
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}
    return ngettext("passed %(days)s day ago", "passed %(days)s days ago", -days) % {"days": -days}


@register.filter
def urgency(days: int | None) -> str:
    """A CSS class name for a deadline: passed, urgent (≤ 7 days), soon (≤ 14 days) or calm."""
    if days is None:
        return "calm"
    if days < 0:
        return "passed"
    if days <= 7:
        return "urgent"
    if days <= 14:
        return "soon"
    return "calm"


@register.filter
def language_name(code: str) -> str:
    return languages.language_name(code)


@register.filter
def is_past(value: dt.datetime | None) -> bool:
    from django.utils import timezone

    return bool(value and value < timezone.now())
