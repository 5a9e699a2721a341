"""The deadline badge: the markup the included partial ``cases/partials/deadline.html`` wrote,
now written by the ``deadline_badge`` tag (a quarter of a caseload row's rendering)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.utils import translation

# The partial as it was (templates/cases/partials/deadline.html before the tag), included as
# the caseload, the case page, my day and the detention section included it.
PARTIAL = (
    '{% load i18n returnpath_ui %}{% if deadline %}{% if open and suspended %}<span class="deadline deadline-suspended">\n'
    '<span class="deadline-date">{{ deadline|date:"SHORT_DATE_FORMAT" }}</span>\n'
    '<span class="deadline-days">{% translate "suspended: a suspensive procedure is pending" %}</span>\n'
    '</span>{% else %}<span class="deadline deadline-{% if open %}{{ days|urgency }}{% else %}calm{% endif %}">\n'
    '<span class="deadline-date">{{ deadline|date:"SHORT_DATE_FORMAT" }}</span>\n'
    '{% if open %}<span class="deadline-days">{% with u=days|urgency %}{% if u == "passed" %}'
    '<span aria-hidden="true">⚠ </span>{{ days|days_left_text|capfirst }}{% elif u == "urgent" %}'
    '<span aria-hidden="true">⚠ </span>{% translate "Urgent:" %} {{ days|days_left_text }}'
    '{% else %}{{ days|days_left_text }}{% endif %}{% endwith %}</span>{% endif %}\n'
    '</span>{% endif %}{% else %}<span class="muted">—</span>{% endif %}\n'
)

DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize(
    ("days", "deadline", "is_open", "suspended"),
    [
        (None, None, True, 0),  # no deadline
        (-3, DAY, True, 0),  # passed
        (-1, DAY, True, 0),
        (0, DAY, True, 0),  # today: urgent
        (1, DAY, True, 0),
        (7, DAY, True, 0),
        (8, DAY, True, 0),  # soon
        (14, DAY, True, 0),
        (40, DAY, True, 0),  # calm
        (5, DAY, True, 2),  # suspended
        (5, DAY, False, 0),  # a finished case: calm, no days
        (-5, DAY, False, 1),
        (None, DAY, True, 0),
    ],
)
def test_the_tag_writes_what_the_partial_wrote(language, days, deadline, is_open, suspended):
    engine = engines["django"]
    partial = engine.from_string(PARTIAL)
    tag = engine.from_string("{% load returnpath_ui %}{% deadline_badge days deadline is_open suspended %}")
    context = {"days": days, "deadline": deadline, "open": is_open, "is_open": is_open, "suspended": suspended}
    with translation.override(language):
        assert tag.render(context) == partial.render(context)
