"""From figures to what the pages show: tables (with the link behind every number) and charts.

The screen and the CSV exports read the same ``Table`` objects, so an export cannot disagree
with the page it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_countries import countries

from cases.caseload import caseload_url
from cases.figures import ATTENTION, OUTCOMES, Figure
from cases.figures import figures as registered
from cases.models import OPEN_STATES, State, TargetGroup
from counselling.dashboards import charts
from counselling.dashboards.selectors import CaseFigures, Clock, NationalDashboard, OfficeDashboard, Week
from offices.models import Office


@dataclass
class Cell:
    value: Any
    url: str = ""
    display: str | None = None  # what the screen shows, when not the value itself

    def __str__(self) -> str:
        return self.display if self.display is not None else ("" if self.value is None else str(self.value))


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None
    note: str = ""
    numeric_from: int = 1  # columns from this index are right-aligned numbers

    def csv_rows(self):
        yield self.columns
        for row in self.rows:
            yield [cell.value for cell in row]
        if self.footer:
            yield [cell.value for cell in self.footer]


def percent(ratio: float | None) -> Cell:
    if ratio is None:
        return Cell(None, display="–")
    value = round(ratio * 100, 1)
    return Cell(value, display=f"{value:.0f}%")


def days(value: float | None) -> Cell:
    if value is None:
        return Cell(None, display="–")
    value = round(value, 1)
    return Cell(value, display=f"{value:g}")


def figure_url(figure: Figure, clock: Clock, **scope) -> str:
    """The caseload listing exactly the cases ``figure`` counts, within ``scope``."""
    return caseload_url(**scope, **figure.link(clock))


def figure_row(figure: Figure, figures: CaseFigures, clock: Clock, **scope) -> list[Cell]:
    return [Cell(str(figure.label)), Cell(getattr(figures, figure.name), figure_url(figure, clock, **scope))]


def figure_tile(figure: Figure, figures: CaseFigures, clock: Clock, **scope) -> dict:
    return {"key": figure.name, "label": str(figure.label), "value": getattr(figures, figure.name),
            "url": figure_url(figure, clock, **scope), "alert": figure.alert}


def conversations_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    return f"{reverse('dashboards:conversations')}?{query}"


def week_label(week: Week) -> str:
    return "{}\n{}".format(_("W%(number)s") % {"number": week.monday.isocalendar().week}, formats.date_format(week.monday, "j M"))


# --- panels shared by both pages ---------------------------------------------------------------
def attention_table(figures: CaseFigures, clock: Clock, **scope) -> Table:
    rows = [figure_row(figure, figures, clock, **scope) for figure in registered(ATTENTION)]
    return Table("attention", _("Cases needing attention"), [_("Figure"), _("Cases")], rows)


def state_table(figures: CaseFigures, **scope) -> Table:
    rows = [
        [Cell(str(state.label)), Cell(figures.by_state.get(state.value, 0), caseload_url(**scope, state=state.value))]
        for state in OPEN_STATES
    ]
    footer = [Cell(_("Total")), Cell(sum(figures.by_state.values()), caseload_url(**scope, state="open"))]
    return Table("by_state", _("Open cases by state"), [_("State"), _("Cases")], rows, footer)


def target_group_table(figures: CaseFigures, **scope) -> Table:
    rows = [
        [Cell(str(group.label)), Cell(figures.by_target_group.get(group.value, 0), caseload_url(**scope, state="open", target_group=group.value))]
        for group in TargetGroup
    ]
    footer = [Cell(_("Total")), Cell(sum(figures.by_target_group.values()), caseload_url(**scope, state="open"))]
    return Table("by_target_group", _("Open cases by target group"), [_("Target group"), _("Cases")], rows, footer)


def outcome_table(figures: CaseFigures, clock: Clock, **scope) -> Table:
    rows = [figure_row(figure, figures, clock, **scope) for figure in registered(OUTCOMES)]
    note = _("From %(since)s to %(until)s. Untraceable: went out of sight in this period and still are.") % {
        "since": formats.date_format(clock.since_12_months, "SHORT_DATE_FORMAT"),
        "until": formats.date_format(clock.today, "SHORT_DATE_FORMAT"),
    }
    return Table("outcomes", _("Outcomes in the last 12 months"), [_("Outcome"), _("Cases")], rows, note=note)


def weekly_table(weeks: list[Week], **scope) -> Table:
    rows = []
    for week in weeks:
        period = {"since": week.monday.isoformat(), "until": week.sunday.isoformat(), **scope}
        rows.append([
            Cell(week.monday.isoformat(), display=week_label(week).replace("\n", " · ")),
            Cell(week.held, conversations_url(status="held", **period)),
            Cell(week.no_show, conversations_url(status="no_show", **period)),
            Cell(week.planned, conversations_url(status="planned", **period)),
            Cell(week.cancelled, conversations_url(status=["cancelled", "rescheduled"], **period)),
            percent(week.show_up_rate),
        ])
    held, no_show = sum(w.held for w in weeks), sum(w.no_show for w in weeks)
    footer = [
        Cell(_("12 weeks")), Cell(held), Cell(no_show), Cell(sum(w.planned for w in weeks)), Cell(sum(w.cancelled for w in weeks)),
        percent(held / (held + no_show) if held + no_show else None),
    ]
    return Table(
        "conversations", _("Conversations per week"),
        [_("Week (from Monday)"), _("Held"), _("No-show"), _("Awaiting outcome"), _("Cancelled or rescheduled"), _("Show-up rate (%)")],
        rows, footer, note=_("Show-up rate: held ÷ (held + no-show), by the week the conversation was planned for."),
    )


def weekly_chart(weeks: list[Week], **scope) -> str:
    series = [
        charts.Series(_("Held"), [w.held for w in weeks]),
        charts.Series(_("No-show"), [w.no_show for w in weeks]),
        charts.Series(_("Awaiting outcome"), [w.planned for w in weeks]),
    ]
    for s, status in zip(series, ("held", "no_show", "planned"), strict=True):
        s.urls = [conversations_url(status=status, since=w.monday.isoformat(), until=w.sunday.isoformat(), **scope) for w in weeks]
    notes = [f"{w.show_up_rate * 100:.0f}%" if w.show_up_rate is not None else "–" for w in weeks]
    described = "; ".join(
        _("%(week)s: %(held)s held, %(no_show)s no-show, %(planned)s awaiting outcome")
        % {"week": week_label(w).replace(chr(10), " "), "held": w.held, "no_show": w.no_show, "planned": w.planned}
        for w in weeks
    )
    return charts.column_chart(
        labels=[week_label(w) for w in weeks], series=series, notes=notes, notes_label=_("show-up"),
        title=_("Conversations per week, last 12 weeks"), desc=described,
    )


def bars_from_table(table: Table, *, title: str) -> str:
    labels = [str(row[0]) for row in table.rows]
    values = [row[1].value or 0 for row in table.rows]
    urls = [row[1].url for row in table.rows]
    desc = "; ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True))
    return charts.hbar_chart(labels=labels, series=[charts.Series(title, values, urls)], title=title, desc=desc)


# --- the office page -------------------------------------------------------------------------
def counsellor_table(dashboard: OfficeDashboard) -> Table:
    office, clock = dashboard.office.pk, dashboard.clock
    monday = clock.weeks[-1]
    rows = []
    for person in dashboard.counsellors:
        who = person.user_id if person.user_id is not None else "none"
        rows.append([
            Cell(person.name or _("Not assigned")),
            Cell(person.open, caseload_url(office=office, counsellor=who, state="open")),
            Cell(person.conversations_this_week,
                 conversations_url(office=office, counsellor=who, since=monday.isoformat(),
                                   until=(monday + dt.timedelta(days=6)).isoformat(), status=["planned", "held", "no_show"])
                 if person.user_id is not None else ""),
            Cell(person.overdue_outcome, caseload_url(office=office, counsellor=who, overdue_outcome=True)),
        ])
    return Table("counsellors", _("Caseload per counsellor"),
                 [_("Counsellor"), _("Open cases"), _("Conversations this week"), _("Waiting for an outcome")], rows)


def office_page(dashboard: OfficeDashboard) -> dict:
    scope = {"office": dashboard.office.pk}
    figures, clock = dashboard.totals, dashboard.clock
    tables = {
        "attention": attention_table(figures, clock, **scope),
        "by_state": state_table(figures, **scope),
        "by_target_group": target_group_table(figures, **scope),
        "counsellors": counsellor_table(dashboard),
        "conversations": weekly_table(dashboard.weeks, **scope),
        "outcomes": outcome_table(figures, clock, **scope),
    }
    tiles = [figure_tile(figure, figures, clock, **scope) for figure in registered(ATTENTION)]
    counsellors = tables["counsellors"]
    return {
        "tables": tables,
        "tiles": tiles,
        "state_chart": bars_from_table(tables["by_state"], title=_("Open cases by state")),
        "target_group_chart": bars_from_table(tables["by_target_group"], title=_("Open cases by target group")),
        "counsellor_chart": charts.hbar_chart(
            labels=[str(row[0]) for row in counsellors.rows],
            series=[charts.Series(_("Open cases"), [row[1].value for row in counsellors.rows], [row[1].url for row in counsellors.rows]),
                    charts.Series(_("Waiting for an outcome"), [row[3].value for row in counsellors.rows],
                                  [row[3].url for row in counsellors.rows])],
            stacked=False, title=_("Caseload per counsellor"),
            desc="; ".join(
                _("%(who)s: %(open)s open, %(waiting)s waiting for an outcome") % {"who": row[0], "open": row[1].value, "waiting": row[3].value}
                for row in counsellors.rows
            ),
        ) if counsellors.rows else "",
        "weekly_chart": weekly_chart(dashboard.weeks, **scope),
        "outcome_chart": bars_from_table(tables["outcomes"], title=_("Outcomes in the last 12 months")),
        "voluntary_share": percent(figures.voluntary_share),
        "median_days": days(figures.median_days),
        "show_up_rate": percent(figures.show_up_rate),
    }


# --- the national page -----------------------------------------------------------------------
def office_comparison_tables(dashboard: NationalDashboard) -> tuple[Table, Table]:
    """The office figures side by side, in two tables: the load today, and how trajectories ended."""
    clock = dashboard.clock

    def cells(office: Office | None, figures: CaseFigures, label: str, shown) -> list[Cell]:
        scope = {"office": office.pk} if office is not None and office.pk else {}
        linkable = office is None or office.pk is not None
        return [
            Cell(label, caseload_url(**scope, state="open") if scope else ""),
            *[Cell(getattr(figures, f.name), figure_url(f, clock, **scope) if linkable else "") for f in shown],
        ]

    def rows(shown, extra):
        body = [cells(o, f, o.name or _("No office"), shown) + extra(f) for o, f in dashboard.offices]
        return body, cells(None, dashboard.totals, _("All offices"), shown) + extra(dashboard.totals)

    load_figures = registered(ATTENTION)
    body, footer = rows(load_figures, lambda f: [Cell(f.conversations_this_week), percent(f.show_up_rate)])
    load = Table("offices_load", _("Load and attention per office"),
                 [_("Office"), *[str(f.heading) for f in load_figures], _("Conversations this week"), _("Show-up rate, 12 weeks (%)")],
                 body, footer)
    outcome_figures = registered(OUTCOMES)
    body, footer = rows(outcome_figures, lambda f: [percent(f.voluntary_share), days(f.median_days)])
    outcomes = Table("offices_outcomes", _("Outcomes per office, last 12 months"),
                     [_("Office"), *[str(f.heading) for f in outcome_figures], _("Voluntary share of returns (%)"),
                      _("Median days from order to outcome")], body, footer,
                     note=_("Voluntary share: departed ÷ (departed + removed). Median: from the first order's notification to the outcome."))
    return load, outcomes


def office_state_chart(dashboard: NationalDashboard) -> str:
    offices = [(o, f) for o, f in dashboard.offices if o.pk]
    series = []
    for state in OPEN_STATES:
        values: list[float] = [f.by_state.get(state.value, 0) for _o, f in offices]
        urls = [caseload_url(office=o.pk, state=state.value) for o, _f in offices]
        series.append(charts.Series(str(state.label), values, urls))
    desc = "; ".join(
        f"{o.name}: " + ", ".join(f"{f.by_state.get(s.value, 0)} {s.label}" for s in OPEN_STATES) for o, f in offices
    )
    return charts.hbar_chart(
        labels=[o.name for o, _f in offices], series=series, stacked=True, width=1100,
        label_urls=[caseload_url(office=o.pk, state="open") for o, _f in offices],
        title=_("Open cases per office, by state"), desc=desc,
    )


KIND_ORDER = Office.FACILITY_KINDS


def occupancy_table(dashboard: NationalDashboard) -> Table:
    rows = []
    for row in dashboard.facilities:
        rows.append([
            Cell(row.facility.name),
            Cell(str(row.facility.get_kind_display())),
            Cell(row.capacity),
            Cell(row.today, caseload_url(facility=row.facility.pk)),
            percent(row.rate),
            Cell(max(row.capacity - row.today, 0)),
        ])
    total_capacity = sum(r.capacity for r in dashboard.facilities)
    total_today = sum(r.today for r in dashboard.facilities)
    footer = [Cell(_("All facilities")), Cell(""), Cell(total_capacity), Cell(total_today),
              percent(total_today / total_capacity if total_capacity else None), Cell(max(total_capacity - total_today, 0))]
    return Table("occupancy", _("Occupancy today"),
                 [_("Facility"), _("Kind"), _("Capacity"), _("Occupied today"), _("Occupancy (%)"), _("Free places")],
                 rows, footer, numeric_from=2)


def occupancy_trend_table(dashboard: NationalDashboard) -> Table:
    columns = [_("Facility"), _("Capacity"), *[day.isoformat() for day in dashboard.snapshot_days]]
    rows = [[Cell(r.facility.name), Cell(r.capacity), *[Cell(v) for v in r.occupied]] for r in dashboard.facilities]
    return Table("occupancy_trend", _("Occupancy over the last 12 weeks"), columns, rows,
                 note=_("Places taken on the same weekday each week, today last."))


def occupancy_sparks(dashboard: NationalDashboard) -> dict[int, dict]:
    labels = [formats.date_format(day, "SHORT_DATE_FORMAT") for day in dashboard.snapshot_days]
    result = {}
    for row in dashboard.facilities:
        name = row.facility.name
        result[row.facility.pk] = {
            "url": caseload_url(facility=row.facility.pk),
            "trend": charts.sparkline(
                values=row.occupied, capacity=row.capacity, labels=labels,
                title=_("%(facility)s: places taken, last 12 weeks") % {"facility": name},
                desc="; ".join(f"{label}: {value}" for label, value in zip(labels, row.occupied, strict=True))
                + " — " + _("capacity %(capacity)s") % {"capacity": row.capacity},
            ),
            "meter": charts.meter(
                value=row.today, capacity=row.capacity,
                title=_("%(facility)s: %(taken)s of %(capacity)s places taken") % {"facility": name, "taken": row.today, "capacity": row.capacity},
            ),
        }
    return result


def eurostat_table(dashboard: NationalDashboard) -> Table:
    q = dashboard.quarter
    ordered = {"ordered_since": q.first_day.isoformat(), "ordered_until": q.last_day.isoformat()}
    returned = {"returned_since": q.first_day.isoformat(), "returned_until": q.last_day.isoformat()}
    rows = []
    for row in dashboard.citizenships:
        nationality = {"nationality": row.code} if row.code else {}
        link = bool(row.code)
        rows.append([
            Cell(row.code or "UNK"),
            Cell(str(countries.name(row.code)) if row.code else _("Unknown")),
            Cell(row.ordered, caseload_url(**nationality, **ordered) if link else ""),
            Cell(row.voluntary, caseload_url(**nationality, state=State.DEPARTED.value, **returned) if link else ""),
            Cell(row.enforced, caseload_url(**nationality, state=State.REMOVED.value, **returned) if link else ""),
            Cell(row.returned, caseload_url(**nationality, **returned) if link else ""),
        ])
    footer = [
        Cell(_("Total")), Cell(""),
        Cell(sum(r.ordered for r in dashboard.citizenships)), Cell(sum(r.voluntary for r in dashboard.citizenships)),
        Cell(sum(r.enforced for r in dashboard.citizenships)), Cell(sum(r.returned for r in dashboard.citizenships)),
    ]
    note = _(
        "%(quarter)s (%(first)s – %(last)s). Ordered to leave: persons with an order notified in the period (migr_eiord). "
        "Returned: departures (voluntary) and removals (enforced) dated in the period (migr_eirtn). "
        "Citizens of the EU, the EEA and Switzerland are left out: %(ordered)s ordered, %(returned)s returned."
    ) % {
        "quarter": str(q), "first": formats.date_format(q.first_day, "SHORT_DATE_FORMAT"),
        "last": formats.date_format(q.last_day, "SHORT_DATE_FORMAT"),
        "ordered": dashboard.non_tcn_ordered, "returned": dashboard.non_tcn_returned,
    }
    return Table(
        "eurostat", _("Third-country nationals, Eurostat categories"),
        [_("Citizenship (ISO)"), _("Country"), _("Ordered to leave"), _("Returned voluntarily"), _("Returned by force"), _("Returned, total")],
        rows, footer, note=note, numeric_from=2,
    )


def eurostat_chart(table: Table, limit: int = 10) -> str:
    rows = table.rows[:limit]
    if not rows:
        return ""
    labels = [f"{row[1]} ({row[0]})" for row in rows]
    series = [
        charts.Series(_("Ordered to leave"), [r[2].value for r in rows], [r[2].url for r in rows]),
        charts.Series(_("Returned voluntarily"), [r[3].value for r in rows], [r[3].url for r in rows]),
        charts.Series(_("Returned by force"), [r[4].value for r in rows], [r[4].url for r in rows]),
    ]
    desc = "; ".join(
        _("%(country)s: %(ordered)s ordered, %(voluntary)s voluntary, %(forced)s by force")
        % {"country": label, "ordered": r[2].value, "voluntary": r[3].value, "forced": r[4].value}
        for label, r in zip(labels, rows, strict=True)
    )
    return charts.hbar_chart(labels=labels, series=series, stacked=False, width=760,
                             title=_("Ordered to leave and returned, top %(n)s citizenships") % {"n": len(rows)}, desc=desc)


def repeat_table(dashboard: NationalDashboard) -> Table:
    r = dashboard.repeat
    rows = [
        [Cell(_("People with an order to leave")), Cell(r.people_with_orders)],
        [Cell(_("People with more than one order")), Cell(r.people_with_repeat, caseload_url(repeat_order=True))],
        [Cell(_("Share of people with a repeat order (%)")), percent(r.people_with_repeat / r.people_with_orders if r.people_with_orders else None)],
        [Cell(_("Orders notified in %(quarter)s") % {"quarter": dashboard.quarter}),
         Cell(r.orders_in_period, caseload_url(ordered_since=dashboard.quarter.first_day.isoformat(),
                                               ordered_until=dashboard.quarter.last_day.isoformat()))],
        [Cell(_("… of which to people who already had one")), Cell(r.repeat_orders_in_period)],
        [Cell(_("Share of repeat orders in %(quarter)s (%%)") % {"quarter": dashboard.quarter},),
         percent(r.repeat_orders_in_period / r.orders_in_period if r.orders_in_period else None)],
    ]
    return Table("repeat_orders", _("Repeat orders"), [_("Figure"), _("Value")], rows,
                 note=_("The list behind a count of people shows their cases; a person can have more than one."))


def national_page(dashboard: NationalDashboard) -> dict:
    load, outcomes = office_comparison_tables(dashboard)
    tables = {
        "offices_load": load,
        "offices_outcomes": outcomes,
        "conversations": weekly_table(dashboard.weeks),
        "occupancy": occupancy_table(dashboard),
        "occupancy_trend": occupancy_trend_table(dashboard),
        "repeat_orders": repeat_table(dashboard),
        "eurostat": eurostat_table(dashboard),
    }
    facilities_by_kind = []
    sparks = occupancy_sparks(dashboard)
    for kind in KIND_ORDER:
        rows = [(r, sparks[r.facility.pk]) for r in dashboard.facilities if r.facility.kind == kind]
        if rows:
            facilities_by_kind.append({"label": Office.Kind(kind).label, "rows": rows})
    tiles = [figure_tile(figure, dashboard.totals, dashboard.clock) for figure in registered() if figure.national_tile]
    return {
        "tables": tables,
        "tiles": tiles,
        "office_chart": office_state_chart(dashboard),
        "weekly_chart": weekly_chart(dashboard.weeks),
        "eurostat_chart": eurostat_chart(tables["eurostat"]),
        "facilities_by_kind": facilities_by_kind,
        "totals": dashboard.totals,
        "voluntary_share": percent(dashboard.totals.voluntary_share),
        "median_days": days(dashboard.totals.median_days),
        "show_up_rate": percent(dashboard.totals.show_up_rate),
    }


def page_tables(page: dict) -> dict[str, Table]:
    return page["tables"]
