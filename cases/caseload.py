"""The caseload filter: one definition shared by the caseload page, the dashboards' drill-down
links and the CSV exports, so a figure and the list behind it can never disagree.

URL contract (GET parameters of the caseload page, ``cases:caseload``):
    q                 search: name, national number, dossier number or order reference
    state             repeatable; or "open" (the default when absent) / "terminal" / "all"
    target_group      a TargetGroup value
    office            office id          counsellor   user id, or "none" for unassigned
    flag              repeatable: public_order, nuisance, vulnerable, minor_children, unaccompanied_minor
    deadline_within   days (0..365): departure deadline from today up to today + N
    deadline_passed   1
    no_planned        1: open counselled case without a planned conversation
    suspensive        1: a pending suspensive procedure
    escalation_proposed / lose_contact_proposed   1
    outcome_since, outcome_until   ISO dates: terminal outcome within the period
    overdue_outcome   1: open case whose planned conversation time has passed without an outcome
    nationality       ISO 3166-1 alpha-2 code of the person's citizenship
    ordered_since, ordered_until     ISO dates: an order to leave notified within the period
    returned_since, returned_until   ISO dates: departed (departed_on) or removed (removed_on) within the period
    state_since, state_until         ISO dates: in the current state since a day within the period
    repeat_order      1: the person has more than one order to leave
    <figure>=1        any dashboard figure declared as a caseload flag (cases.figures): its cases, by its own
                      condition (deadline_passed, no_planned, escalation_proposed, lose_contact_proposed and
                      overdue_outcome above are such figures)
    facility          facility id: placed there today
    sort              "action" (the default: what needs action next) or one of SORTS (prefix "-" for descending)
    counsellor        also "all": everyone's cases (a counsellor's caseload opens on their own cases)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import Exists, F, IntegerField, OrderBy, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.figures import REGISTRY, Clock, caseload_flags
from cases.identity import normalise_national_number
from cases.models import COUNSELLED_STATES, OPEN_STATES, TERMINAL_STATES, Case, OrderToLeave, Person, Placement, State, TargetGroup, fold_for_search

FLAGS = ("public_order", "nuisance", "vulnerable", "minor_children", "unaccompanied_minor")
SORTS = {
    "deadline": "departure_deadline",
    "opened": "opened_at",
    "updated": "updated_at",
    "name": "person__family_name",
    "next": "next_conversation_at",
    "state": "state",
}
# What needs action next comes first: an outcome to log, then no conversation planned, then a
# running deadline within a week (a suspended one is not running), then the next conversation.
DEFAULT_SORT = "action"
ACTION_WEEK_DAYS = 7


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass
class CaseloadPage:
    rows: list[Case]
    has_next: bool
    total: int  # at most the cap + 1: more than the cap reads as "more than"


@dataclass
class CaseloadFilter:
    q: str = ""
    states: list[str] = field(default_factory=list)
    target_group: str = ""
    office: int | None = None
    counsellor: str = ""
    flags: list[str] = field(default_factory=list)
    deadline_within: int | None = None
    suspensive: bool = False
    # The dashboard figures declared as caseload flags (``cases.figures``): "<name>=1" lists that
    # figure's cases, by the figure's own condition.
    figures: list[str] = field(default_factory=list)
    outcome_since: dt.date | None = None
    outcome_until: dt.date | None = None
    nationality: str = ""
    ordered_since: dt.date | None = None
    ordered_until: dt.date | None = None
    returned_since: dt.date | None = None
    returned_until: dt.date | None = None
    state_since: dt.date | None = None
    state_until: dt.date | None = None
    repeat_order: bool = False
    facility: int | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params) -> CaseloadFilter:
        states = []
        # No state at all means the open cases (what a counsellor works on); "all" means every state.
        raw_states = (params.getlist("state") if hasattr(params, "getlist") else params.get("state", [])) or ["open"]
        for value in raw_states:
            if value == "open":
                states += [s.value for s in OPEN_STATES]
            elif value == "terminal":
                states += [s.value for s in TERMINAL_STATES]
            elif value in State.values:
                states.append(value)
        flags = [v for v in (params.getlist("flag") if hasattr(params, "getlist") else []) if v in FLAGS]
        sort = params.get("sort") or DEFAULT_SORT
        within = _int(params.get("deadline_within"))
        counsellor = params.get("counsellor", "")
        nationality = (params.get("nationality") or "").strip().upper()
        return cls(
            q=(params.get("q") or "").strip()[:100],
            states=states,
            target_group=params.get("target_group") if params.get("target_group") in TargetGroup.values else "",
            office=_int(params.get("office")),
            counsellor=counsellor if (counsellor == "none" or _int(counsellor)) else "",  # "all" and "" mean everyone
            flags=flags,
            deadline_within=within if within is not None and 0 <= within <= 365 else None,
            suspensive=params.get("suspensive") == "1",
            figures=[figure.name for figure in caseload_flags() if params.get(figure.name) == "1"],
            outcome_since=_date(params.get("outcome_since")),
            outcome_until=_date(params.get("outcome_until")),
            nationality=nationality if len(nationality) == 2 and nationality.isalpha() else "",
            ordered_since=_date(params.get("ordered_since")),
            ordered_until=_date(params.get("ordered_until")),
            returned_since=_date(params.get("returned_since")),
            returned_until=_date(params.get("returned_until")),
            state_since=_date(params.get("state_since")),
            state_until=_date(params.get("state_until")),
            repeat_order=params.get("repeat_order") == "1",
            facility=_int(params.get("facility")),
            sort=sort if sort.lstrip("-") in SORTS or sort.lstrip("-") == DEFAULT_SORT else DEFAULT_SORT,
        )

    def apply(self, cases: QuerySet[Case], *, bound: int | None = None) -> QuerySet[Case]:
        """The filtered, sorted cases. With ``bound`` a search matches at most that many cases
        (whichever the database finds first, then sorted): the caseload page asks for one more
        than it counts, so that a word that matches half the register costs what a rare one does."""
        scope = cases
        cases = self._filtered(cases)
        if self.q:
            cases = scope.filter(pk__in=_search(cases, self.q, bound=bound))
        return self._sorted(cases)

    def page(self, scope: QuerySet[Case], *, offset: int, size: int, cap: int) -> CaseloadPage:
        """One page of the filtered, sorted cases, with their person, office and counsellor, and a
        count capped at ``cap + 1`` — in two statements whatever the caseload's size.

        The page's rows are joined to their person, office and counsellor after the page is cut,
        not before: sorting a counsellor's whole caseload needs only the case rows. A search
        matches at most ``cap + 1`` cases (decision 072); they are found once, as sorted ids, which
        are both the count and the page: the caseload is walked once, not once for the rows and
        again for their count.
        """
        related = ("person", "office", "counsellor")
        if self.q:
            ids = list(self.apply(scope, bound=cap + 1).values_list("pk", flat=True))
            listed = ids[:cap]  # the page lists at most ``cap`` of the ``cap + 1`` it matched
            wanted = listed[offset : offset + size]
            found = {case.pk: case for case in scope.filter(pk__in=wanted).select_related(*related).order_by()} if wanted else {}
            rows = [found[pk] for pk in wanted if pk in found]
            return CaseloadPage(rows=rows, has_next=len(listed) > offset + size, total=len(ids))
        cases = self.apply(scope)
        window = cases.values("pk")[offset : offset + size + 1]
        rows = list(scope.filter(pk__in=window).select_related(*related).order_by(*cases.query.order_by))
        total = cases.order_by()[: cap + 1].count()
        return CaseloadPage(rows=rows[:size], has_next=len(rows) > size, total=total)

    def _filtered(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        clock = Clock.start()
        today = clock.today
        if self.states:
            cases = cases.filter(state__in=self.states)
        if self.target_group:
            cases = cases.filter(target_group=self.target_group)
        if self.office:
            cases = cases.filter(office_id=self.office)
        if self.counsellor == "none":
            cases = cases.filter(counsellor__isnull=True)
        elif self.counsellor:
            cases = cases.filter(counsellor_id=int(self.counsellor))
        for flag in self.flags:
            cases = cases.filter(minor_children__gt=0) if flag == "minor_children" else cases.filter(**{flag: True})
        if self.deadline_within is not None:
            cases = cases.filter(
                state__in=OPEN_STATES, departure_deadline__gte=today,
                departure_deadline__lte=today + dt.timedelta(days=self.deadline_within),
            )
        if self.suspensive:
            cases = cases.filter(pending_suspensive_procedures__gt=0)
        for name in self.figures:
            cases = cases.filter(REGISTRY[name].condition(clock))
        if self.outcome_since:
            cases = cases.filter(state__in=TERMINAL_STATES, outcome_at__date__gte=self.outcome_since)
        if self.outcome_until:
            cases = cases.filter(state__in=TERMINAL_STATES, outcome_at__date__lte=self.outcome_until)
        if self.nationality:
            cases = cases.filter(person__nationality=self.nationality)
        if self.ordered_since or self.ordered_until:
            orders = OrderToLeave.objects.filter(case=OuterRef("pk"))
            if self.ordered_since:
                orders = orders.filter(notified_on__gte=self.ordered_since)
            if self.ordered_until:
                orders = orders.filter(notified_on__lte=self.ordered_until)
            cases = cases.filter(Exists(orders))
        if self.returned_since or self.returned_until:
            departed, removed = Q(state=State.DEPARTED), Q(state=State.REMOVED)
            if self.returned_since:
                departed &= Q(departed_on__gte=self.returned_since)
                removed &= Q(removed_on__gte=self.returned_since)
            if self.returned_until:
                departed &= Q(departed_on__lte=self.returned_until)
                removed &= Q(removed_on__lte=self.returned_until)
            cases = cases.filter(departed | removed)
        if self.state_since:
            cases = cases.filter(state_entered_at__date__gte=self.state_since)
        if self.state_until:
            cases = cases.filter(state_entered_at__date__lte=self.state_until)
        if self.repeat_order:
            second_order = OrderToLeave.objects.filter(case__person_id=OuterRef("person_id")).order_by().values("id")[1:2]
            cases = cases.filter(Exists(second_order))
        if self.facility:
            # Occupied on a day: started on or before it and not ended by it (DESIGN: capacity).
            here = Placement.objects.filter(case=OuterRef("pk"), facility_id=self.facility, started_on__lte=today).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gt=today)
            )
            cases = cases.filter(Exists(here))
        return cases

    def _sorted(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if self.sort.lstrip("-") == DEFAULT_SORT:
            return order_by_action(cases, descending=self.sort.startswith("-"))
        expression = F(SORTS[self.sort.lstrip("-")])
        # Nulls last either way: a case without a deadline is not the most urgent one.
        if self.sort.startswith("-"):
            return cases.order_by(expression.desc(nulls_last=True), "-id")
        return cases.order_by(expression.asc(nulls_last=True), "id")


def order_by_action(cases: QuerySet[Case], *, descending: bool = False) -> QuerySet[Case]:
    today, now = timezone.localdate(), timezone.now()
    needs = DbCase(
        When(Q(state__in=OPEN_STATES, next_conversation_at__lt=now), then=Value(0)),
        When(Q(state__in=COUNSELLED_STATES, next_conversation_at__isnull=True), then=Value(1)),
        When(
            Q(state__in=OPEN_STATES, pending_suspensive_procedures=0, departure_deadline__gte=today,
              departure_deadline__lte=today + dt.timedelta(days=ACTION_WEEK_DAYS)),
            then=Value(2),
        ),
        When(Q(state__in=OPEN_STATES), then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    order: list[OrderBy | str] = [needs.asc(), F("next_conversation_at").asc(nulls_last=True), F("departure_deadline").asc(nulls_last=True), "id"]
    if descending:
        order = [needs.desc(), F("next_conversation_at").desc(nulls_last=True), F("departure_deadline").desc(nulls_last=True), "-id"]
    return cases.order_by(*order)


def _search(cases: QuerySet[Case], q: str, *, bound: int | None = None) -> QuerySet:
    """The ids of the (already filtered) cases found by a name (any words of it, in any order,
    accents ignored), dossier number, national number, order reference or case number ("45" or "#45").

    One branch per kind of term, each carrying every other filter (decision 072): PostgreSQL
    plans each branch as a join from whichever side is smaller — a counsellor's own cases, then
    their people; or the people a word matches (trigram index on the folded name, migrations
    0006 and 0008), then their cases — and with ``bound`` stops after that many ids
    (``UNION ALL`` streams; a case found twice is one row of the page).
    """
    q = q.strip()
    number = q.lstrip("#").strip()
    words = fold_for_search(q).split()
    people = Q(dossier_number__iexact=q)
    if words:
        name = Q()
        for word in words:
            name &= Q(search_name__contains=word)
        # People created in bulk (imports) may not have a folded name yet: their name matches as typed.
        people |= name | Q(search_name="", family_name__icontains=q)
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) == 11:
        try:
            people |= Q(national_number=normalise_national_number(digits))
        except ValidationError:  # not a national number: the other terms still apply
            people |= Q(national_number=digits)
    cases = cases.order_by()
    branches = [
        cases.filter(person__in=Person.objects.filter(people)).values("pk"),
        cases.filter(pk__in=OrderToLeave.objects.filter(external_reference__iexact=q).values("case_id")).values("pk"),
    ]
    if number.isdigit() and len(number) < 11:
        branches.append(cases.filter(pk=int(number)).values("pk"))
    if bound is None:
        return branches[0].union(*branches[1:])
    return branches[0].union(*branches[1:], all=True)[:bound]


def caseload_url(**params) -> str:
    """A link to the caseload filtered as given, e.g. caseload_url(state="orientation", office=3)."""
    # Links are exact: without a state they count every state, so they say so ("all").
    params.setdefault("state", "all")
    # ...and everyone's cases: a figure never silently narrows to the reader's own caseload.
    params.setdefault("counsellor", "all")
    query = []
    for key, value in params.items():
        if value is None or value is False or value == "":
            continue
        if isinstance(value, list | tuple):
            query += [(key, v) for v in value]
        else:
            query.append((key, "1" if value is True else value))
    url = reverse("cases:caseload")
    return f"{url}?{urlencode(query)}" if query else url


# Filters that dashboards' links set but the caseload form does not show: the page names them.
EXTRA_FILTERS = {
    "outcome_since": lambda v: _("outcome from %(date)s") % {"date": v},
    "outcome_until": lambda v: _("outcome until %(date)s") % {"date": v},
    "ordered_since": lambda v: _("order notified from %(date)s") % {"date": v},
    "ordered_until": lambda v: _("order notified until %(date)s") % {"date": v},
    "returned_since": lambda v: _("returned from %(date)s") % {"date": v},
    "returned_until": lambda v: _("returned until %(date)s") % {"date": v},
    "state_since": lambda v: _("in this state since %(date)s or later") % {"date": v},
    "state_until": lambda v: _("in this state since %(date)s or earlier") % {"date": v},
    "nationality": lambda v: _("nationality %(country)s") % {"country": v},
    "repeat_order": lambda v: _("more than one order"),
    "facility": lambda v: _("placed in facility no. %(id)s today") % {"id": v},
}


def extra_filters(params) -> list[tuple[str, str, str]]:
    """(parameter, value, description) of the active filters the form does not show."""
    found = []
    # ...and the figures' flags the form has no field for (cases.figures).
    flags = {f.name: lambda v, f=f: str(f.describe) for f in caseload_flags() if f.describe}
    for key, describe in {**EXTRA_FILTERS, **flags}.items():
        value = (params.get(key) or "").strip()
        if not value:
            continue
        if key.endswith(("_since", "_until")):
            day = _date(value)
            if day is None:
                continue
            found.append((key, value, describe(formats.date_format(day))))
        else:
            found.append((key, value, describe(value)))
    return found
