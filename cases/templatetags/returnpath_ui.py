"""Small template helpers of the browser interface."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
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


@register.simple_tag
def deadline_badge(days: int | None, deadline: dt.date | None, is_open: bool = False, suspended: int = 0) -> SafeString:
    """A deadline (a departure deadline, a detention's limit) with its urgency written in words,
    never shown by colour alone. Written in Python: as an included template it was a quarter of a
    caseload row's rendering (an include, a ``with``, five filters: ~400 function calls a row)."""
    if not deadline:
        return mark_safe('<span class="muted">—</span>\n')
    date = formats.date_format(deadline, "SHORT_DATE_FORMAT")
    if is_open and suspended:
        return format_html(
            '<span class="deadline deadline-suspended">\n<span class="deadline-date">{}</span>\n'
            '<span class="deadline-days">{}</span>\n</span>\n',
            date, _("suspended: a suspensive procedure is pending"),
        )
    if not is_open:
        return format_html('<span class="deadline deadline-calm">\n<span class="deadline-date">{}</span>\n\n</span>\n', date)
    level, left = urgency(days), days_left_text(days)
    if level == "passed":
        words = format_html('<span aria-hidden="true">⚠ </span>{}', left[:1].upper() + left[1:])
    elif level == "urgent":
        words = format_html('<span aria-hidden="true">⚠ </span>{} {}', _("Urgent:"), left)
    else:
        words = format_html("{}", left)
    return format_html(
        '<span class="deadline deadline-{}">\n<span class="deadline-date">{}</span>\n<span class="deadline-days">{}</span>\n</span>\n',
        level, date, words,
    )


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
