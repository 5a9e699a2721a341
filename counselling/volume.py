"""Realistic volume for measurements: a national register's years of history, written with COPY.

``seed_volume(cases=N, seed=S)`` fills an empty PostgreSQL database (or one that holds only
earlier generated data) with N cases and what surrounds them — every state, target group and
office, about 20 % repeat orders, about five conversations and eight events per case, legal
procedures, placements and about 2,000 counsellors per million cases — in a few minutes per
million cases.

The generator writes rows, not objects: each model's COPY column list is every concrete field,
filled with the generated value where there is one and with the field's own default otherwise,
so a column added later with a default needs no change here. Ids are allocated here, the
sequences are moved past them at the end. The rows are consistent with what the services
would have written: the counters on the case agree with its conversations and procedures,
each counselled case has exactly one planned conversation, no counsellor is booked twice.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from cases import legal
from cases.models import Case, CaseEvent, LegalProcedure, OrderToLeave, Person, Placement, Playbook, State, TargetGroup, fold_for_search
from counselling.dashboards import outcomes, quarters, tally
from counselling.demo import seed_offices
from counselling.models import Conversation
from offices.models import Membership, Office, StaffProfile
from returnpath import roles
from returnpath.actors import SYSTEM_LABEL
from returnpath.copying import FLUSH_ROWS, CopyWriter

User = get_user_model()

# Every generated person carries this prefix in the dossier number: it is how the command
# recognises its own data and refuses to touch a database that holds anything else.
MARK = "GEN-"
USER_PREFIX = "vol."
COUNSELLORS_PER_THOUSAND_CASES = 2  # about 2,000 counsellors for a million cases


def counsellors_for(cases: int) -> int:
    """The counsellors a register of ``cases`` has: two per thousand cases (2,000 at 1M), at least
    one per regional office. A small database then has the large one's caseload per counsellor
    (a full first page of the caseload, busy agendas), not one case per counsellor."""
    return max(1, cases * COUNSELLORS_PER_THOUSAND_CASES // 1000)

STATE_WEIGHTS = {
    State.REGISTERED: 4, State.ORIENTATION: 24, State.LEGAL_STAY_REVIEW: 7, State.VOLUNTARY_RETURN: 5,
    State.FORCED_RETURN: 4, State.UNTRACEABLE: 10, State.DEPARTED: 16, State.REMOVED: 7,
    State.LEGAL_STAY_GRANTED: 6, State.CLOSED: 17,
}
GROUP_WEIGHTS = {
    TargetGroup.INDIVIDUAL: 55, TargetGroup.FAMILY: 11, TargetGroup.UNACCOMPANIED_MINOR: 3, TargetGroup.OPEN_RETURN_PLACE: 8,
    TargetGroup.PUBLIC_ORDER: 7, TargetGroup.DUBLIN: 8, TargetGroup.NO_ADDRESS: 8,
}
# The path each final state took (transitions after the intake), for the events.
PATHS: dict[str, tuple[tuple[str, str, str], ...]] = {
    State.REGISTERED: (),
    State.ORIENTATION: (("start_orientation", State.REGISTERED, State.ORIENTATION),),
    State.LEGAL_STAY_REVIEW: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                              ("open_legal_stay_review", State.ORIENTATION, State.LEGAL_STAY_REVIEW)),
    State.VOLUNTARY_RETURN: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                             ("agree_voluntary_return", State.ORIENTATION, State.VOLUNTARY_RETURN)),
    State.FORCED_RETURN: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                          ("escalate_to_forced_return", State.ORIENTATION, State.FORCED_RETURN)),
    State.UNTRACEABLE: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                        ("lose_contact", State.ORIENTATION, State.UNTRACEABLE)),
    State.DEPARTED: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                     ("agree_voluntary_return", State.ORIENTATION, State.VOLUNTARY_RETURN),
                     ("confirm_departure", State.VOLUNTARY_RETURN, State.DEPARTED)),
    State.REMOVED: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                    ("escalate_to_forced_return", State.ORIENTATION, State.FORCED_RETURN),
                    ("confirm_removal", State.FORCED_RETURN, State.REMOVED)),
    State.LEGAL_STAY_GRANTED: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                               ("open_legal_stay_review", State.ORIENTATION, State.LEGAL_STAY_REVIEW),
                               ("grant_legal_stay", State.LEGAL_STAY_REVIEW, State.LEGAL_STAY_GRANTED)),
    State.CLOSED: (("start_orientation", State.REGISTERED, State.ORIENTATION),
                   ("close", State.ORIENTATION, State.CLOSED)),
}
COUNSELLED = {State.REGISTERED, State.ORIENTATION, State.LEGAL_STAY_REVIEW, State.VOLUNTARY_RETURN, State.FORCED_RETURN}
TERMINAL = {State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.CLOSED}
NATIONALITIES = ("MA", "MA", "DZ", "AF", "AF", "SY", "ER", "GN", "CD", "CM", "TR", "AL", "GE", "BR", "IN", "PS", "SO", "IQ", "RU", "")
LANGUAGES = {"MA": ["ar", "fr"], "DZ": ["ar", "fr"], "AF": ["fa", "ps"], "SY": ["ar"], "ER": ["ti"], "GN": ["fr"], "CD": ["fr"],
             "CM": ["fr", "en"], "TR": ["tr"], "AL": ["sq"], "GE": ["ka", "ru"], "BR": ["pt"], "IN": ["en"], "PS": ["ar"],
             "SO": ["so"], "IQ": ["ar"], "RU": ["ru"], "": ["en"]}
FAMILY_NAMES = ("El Amrani", "Benali", "Haddad", "Ahmadi", "Karimi", "Tesfay", "Diallo", "Kabila", "Mbarga", "Yilmaz", "Hoxha",
                "Beridze", "Silva", "Singh", "Nasser", "Warsame", "Hussein", "Ivanov", "Bah", "Camara", "Sow", "Rahimi")
GIVEN_NAMES = ("Youssef", "Fatima", "Omar", "Amina", "Ahmad", "Zahra", "Yonas", "Mariam", "Mamadou", "Aïssatou", "Jean",
               "Grace", "Mehmet", "Elif", "Arben", "Nino", "Lucas", "Ana", "Ravi", "Layla", "Abdi", "Olga")
PROCEDURE_KINDS = [k for k, _ in LegalProcedure.Kind.choices]


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _move_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))",  # noqa: S608 - table from _meta
            [table],
        )


# --- the generator -----------------------------------------------------------------------

@dataclass
class Staff:
    office_id: int
    counsellors: list[int]
    manager: int
    # The next free slot per counsellor for planned conversations (no double booking).
    next_slot: dict[int, int] = field(default_factory=dict)


@dataclass
class VolumeReport:
    cases: int
    persons: int
    orders: int
    conversations: int
    events: int
    procedures: int
    placements: int
    counsellors: int
    seconds: float
    rows: dict[str, int]


class VolumeRefused(Exception):
    """The database holds data this command did not generate, or is not PostgreSQL."""


def generated_case_count() -> tuple[int, int]:
    """(generated cases, other cases) in the database."""
    total = Case.objects.count()
    generated = Case.objects.filter(person__dossier_number__startswith=MARK).count() if total else 0
    return generated, total - generated


def _weighted(rng: random.Random, weights: dict) -> Callable[[], Any]:
    values, cum = list(weights), []
    running = 0
    for v in values:
        running += weights[v]
        cum.append(running)
    choices = rng.choices

    def pick() -> Any:
        return choices(values, cum_weights=cum)[0]
    return pick


@lru_cache(maxsize=1_000)
def _folded(given: str, family: str) -> str:
    return fold_for_search(f"{given} {family}")


def _slot(working_days: list[dt.date], slot: int) -> dt.datetime:
    """The n-th free hour of a counsellor: six a day over the next 60 working days, then the same
    hours a minute later (unique per counsellor for 21,600 slots, far above any caseload)."""
    day, hour = divmod(slot, 6)
    start = dt.datetime.combine(working_days[day % len(working_days)], dt.time(9 + hour + (hour >= 3)))
    return timezone.make_aware(start + dt.timedelta(minutes=day // len(working_days)))


@lru_cache(maxsize=20_000)
def _deadline(notified_on: dt.date, term: int) -> dt.date:
    return legal.departure_deadline(notified_on=notified_on, term_days=term, term_reason="" if term >= 30 else "risk")


def _staff(counsellors: int, now: dt.datetime) -> tuple[list[Staff], dict[str, list[Staff]], list[int]]:
    """``counsellors`` spread over the regional offices (at least one each), one manager each."""
    offices = list(Office.objects.filter(kind=Office.Kind.REGIONAL_OFFICE).order_by("code"))
    existing = set(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", flat=True))
    password = make_password(None)
    counsellor_group = Group.objects.get(name=roles.COUNSELLOR)
    manager_group = Group.objects.get(name=roles.OFFICE_MANAGER)
    per_office = max(1, counsellors // max(len(offices), 1))
    wanted: list[tuple[str, Office, str]] = []
    for office in offices:
        wanted.append((f"{USER_PREFIX}{office.code.lower()}.manager", office, Membership.Role.MANAGER))
        wanted += [(f"{USER_PREFIX}{office.code.lower()}.{i:03d}", office, Membership.Role.COUNSELLOR) for i in range(per_office)]
    new = [(u, o, r) for u, o, r in wanted if u not in existing]
    if new:
        users = User.objects.bulk_create(
            [User(username=u, first_name="Counsellor", last_name=u.split(".", 1)[1], password=password, date_joined=now) for u, _o, _r in new]
        )
        by_name = {u.username: u for u in users}
        Membership.objects.bulk_create([Membership(user=by_name[u], office=o, role=r) for u, o, r in new])
        langs = {o.pk: list(o.languages) for o in offices}
        StaffProfile.objects.bulk_create(
            [StaffProfile(user=by_name[u], languages=[*langs[o.pk], "ar"] if i % 3 == 0 else langs[o.pk]) for i, (u, o, _r) in enumerate(new)]
        )
        through = User.groups.through
        through.objects.bulk_create([
            through(user_id=by_name[u].pk, group_id=(manager_group if r == Membership.Role.MANAGER else counsellor_group).pk)
            for u, _o, r in new
        ])
    memberships = Membership.objects.filter(user__username__startswith=USER_PREFIX).values_list("office_id", "user_id", "role")
    by_office: dict[int, Staff] = {}
    for office_id, user_id, role in memberships.order_by("office_id", "user_id"):
        staff = by_office.setdefault(office_id, Staff(office_id=office_id, counsellors=[], manager=0))
        if role == Membership.Role.MANAGER:
            staff.manager = user_id
        else:
            staff.counsellors.append(user_id)
    province_of = {o.pk: o.province for o in offices}
    by_province: dict[str, list[Staff]] = {}
    for staff in by_office.values():
        by_province.setdefault(province_of[staff.office_id], []).append(staff)
    facilities = list(Office.objects.filter(kind__in=Office.FACILITY_KINDS).values_list("pk", flat=True))
    return list(by_office.values()), by_province, facilities


POSTCODES = {  # one postcode per province, for the person's address (DESIGN §8 ranges)
    "brussels": "1000", "walloon_brabant": "1300", "flemish_brabant": "3000", "antwerp": "2000", "limburg": "3500",
    "liege": "4000", "namur": "5000", "hainaut": "6000", "luxembourg": "6600", "west_flanders": "8000", "east_flanders": "9000",
}


def seed_volume(*, cases: int, seed: int, counsellors: int | None = None, log: Callable[[str], None] = lambda _m: None) -> VolumeReport:
    """Write ``cases`` generated cases with their history. Refuses on a database holding other cases."""
    if connection.vendor != "postgresql":
        raise VolumeRefused("seed_volume writes with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL database.")
    generated, other = generated_case_count()
    if other:
        raise VolumeRefused(
            f"This database holds {other} cases that seed_volume did not generate: use an empty database "
            "(for example: createdb returnpath_volume) — generated data never mixes with real data."
        )
    started = time.monotonic()
    now = timezone.now()
    today = timezone.localdate()
    rng = random.Random(seed)
    seed_offices()
    staff_list, by_province, facilities = _staff(counsellors_for(cases) if counsellors is None else counsellors, now)
    if not staff_list:
        raise VolumeRefused("No regional office has counsellors: the reference data did not seed.")
    playbooks = {p.target_group: p.pk for p in Playbook.objects.all()}
    writers = {m: CopyWriter(m, now=now) for m in (Person, Case, OrderToLeave, Conversation, CaseEvent, LegalProcedure, Placement)}
    ids = {m: _next_id(m) for m in writers}
    pick_state, pick_group = _weighted(rng, STATE_WEIGHTS), _weighted(rng, GROUP_WEIGHTS)
    provinces = sorted(by_province)
    province_weights = {p: len(by_province[p]) for p in provinces}
    pick_province = _weighted(rng, province_weights)
    random_ = rng.random
    randint = rng.randint
    choice = rng.choice
    first_case_id = ids[Case]
    working_days = [legal.add_working_days(today, k) for k in range(1, 61)]
    booked = set(
        Conversation.objects.filter(status=Conversation.Status.PLANNED, counsellor__username__startswith=USER_PREFIX)
        .values_list("counsellor_id", "planned_at")
    )

    with transaction.atomic():
        # COPY into tables without their secondary indexes, then build each index once: faster
        # than updating a dozen B-trees and three trigram indexes row by row (decision 073).
        # DROP INDEX is transactional: if anything fails, the indexes come back with the rollback.
        tables = [w.table for w in writers.values()]
        foreign_keys = _drop_foreign_keys(tables)
        indexes = _drop_secondary_indexes(tables)
        # The people's quarterly figures are recounted once at the end, not per copied chunk
        # (a recount needs the indexes dropped here; decision 110).
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {quarters.DEFERRED} = 'on'")
        for n in range(cases):
            state = pick_state()
            group = pick_group()
            province = pick_province()
            staff = choice(by_province[province])
            counsellor = choice(staff.counsellors)
            nationality = choice(NATIONALITIES)
            person_id, case_id = ids[Person], ids[Case]
            ids[Person] += 1
            ids[Case] += 1
            sex = "M" if random_() < 0.68 else "F"
            minor_children = randint(1, 4) if group == TargetGroup.FAMILY else 0
            uam = group == TargetGroup.UNACCOMPANIED_MINOR
            age = randint(15, 17) if uam else randint(19, 60)
            birth = today - dt.timedelta(days=age * 365 + randint(0, 364))
            given, family = choice(GIVEN_NAMES), choice(FAMILY_NAMES)
            no_address = group == TargetGroup.NO_ADDRESS
            writers[Person].add({
                "id": person_id, "family_name": family, "given_names": given, "birth_date": birth, "sex": sex,
                "nationality": nationality, "dossier_number": f"{MARK}{case_id}", "languages": LANGUAGES[nationality],
                "street": "" if no_address else f"Rue {choice(FAMILY_NAMES)} {randint(1, 200)}",
                "postcode": "" if no_address else POSTCODES[province], "municipality": "" if no_address else province.title(),
                "phone": f"+3247{randint(1000000, 9999999)}" if random_() < 0.7 else "",
                "search_name": _folded(given, family), "created_at": now,
            })
            # Older cases are more often finished: terminal cases were notified earlier.
            age_days = randint(30, 3 * 365) if state in TERMINAL else randint(0, 400)
            notified = today - dt.timedelta(days=age_days)
            repeat = random_() < 0.2
            terms = (30, 30, 30, 30, 7, 0) if group != TargetGroup.PUBLIC_ORDER else (0, 7)
            order_dates = [notified - dt.timedelta(days=randint(200, 700))] if repeat else []
            order_dates.append(notified)
            deadline = None
            for i, on in enumerate(order_dates):
                term = choice(terms)
                deadline = _deadline(on, term)
                writers[OrderToLeave].add({
                    "id": ids[OrderToLeave], "case_id": case_id, "client_id": None, "external_reference": f"{MARK}{case_id}-{i}",
                    "issued_on": on - dt.timedelta(days=randint(0, 5)), "notified_on": on, "departure_term_days": term,
                    "term_reason": "" if term >= 30 else "Risk of absconding", "legal_basis": "Art. 7 Aliens Act",
                    "entry_ban_years": 3 if term == 0 else 0, "departure_deadline": deadline, "received_at": now,
                })
                ids[OrderToLeave] += 1
            opened = timezone.make_aware(dt.datetime.combine(order_dates[0], dt.time(10)))

            # Conversations: about five, ending in the counters the services keep on the case.
            total = 0 if state == State.REGISTERED else randint(2, 8)
            held = refusals = no_shows = 0
            last_contact = None
            at = opened + dt.timedelta(days=3)
            step = dt.timedelta(days=max(1, age_days // max(total, 1)))
            events: list[tuple[str, dt.datetime, str, str, str, dict]] = [
                (CaseEvent.Kind.OPENED, opened, "", "", State.REGISTERED, {}),
                (CaseEvent.Kind.ASSIGNED, opened, "", "", "", {"office": staff.office_id, "counsellor": counsellor}),
            ]
            if repeat:
                events.append((CaseEvent.Kind.ORDER_ATTACHED, timezone.make_aware(dt.datetime.combine(notified, dt.time(11))),
                               "", "", "", {}))
            for i in range(total):
                status = Conversation.Status.HELD if random_() < 0.72 else Conversation.Status.NO_SHOW
                planned_at = min(at, now - dt.timedelta(hours=1))
                values: dict[str, Any] = {
                    "id": ids[Conversation], "case_id": case_id, "counsellor_id": counsellor, "office_id": staff.office_id,
                    "planned_at": planned_at, "is_intake": i == 0, "status": status, "created_at": planned_at - dt.timedelta(days=7),
                    "invitation_sent_at": planned_at - dt.timedelta(days=6), "outcome_recorded_at": planned_at + dt.timedelta(hours=1),
                    "outcome_recorded_by_id": counsellor,
                }
                if status == Conversation.Status.HELD:
                    stance = choice((Conversation.Stance.REFUSES, Conversation.Stance.CONSIDERING, Conversation.Stance.NOT_DISCUSSED))
                    values.update(stance=stance, discussed_legal_stay=True, discussed_voluntary_return=True)
                    held += 1
                    refusals += stance == Conversation.Stance.REFUSES
                    no_shows = 0
                    last_contact = planned_at
                    events.append((CaseEvent.Kind.CONVERSATION_HELD, planned_at, "", "", "", {"conversation": ids[Conversation]}))
                else:
                    no_shows += 1
                    events.append((CaseEvent.Kind.CONVERSATION_NO_SHOW, planned_at, "", "", "", {"conversation": ids[Conversation]}))
                writers[Conversation].add(values)
                ids[Conversation] += 1
                at += step
            next_at = None
            if state in COUNSELLED:
                # Exactly one planned conversation, in the counsellor's next free hour (no double booking).
                slot = staff.next_slot.get(counsellor, 0)
                next_at = _slot(working_days, slot)
                while (counsellor, next_at) in booked:  # an earlier run's conversation holds it
                    slot += 1
                    next_at = _slot(working_days, slot)
                staff.next_slot[counsellor] = slot + 1
                writers[Conversation].add({
                    "id": ids[Conversation], "case_id": case_id, "counsellor_id": counsellor, "office_id": staff.office_id,
                    "planned_at": next_at, "is_intake": total == 0, "status": Conversation.Status.PLANNED, "created_at": now,
                })
                events.append((CaseEvent.Kind.CONVERSATION_PLANNED, now, "", "", "", {"conversation": ids[Conversation]}))
                ids[Conversation] += 1

            # The trajectory's steps, spread between the first contact and today.
            state_at = opened
            for k, (name, src, dst) in enumerate(PATHS[state]):
                state_at = opened + dt.timedelta(days=(age_days * (k + 1)) // (len(PATHS[state]) + 1))
                events.append((CaseEvent.Kind.TRANSITION, state_at, name, src, dst, {}))

            pending = pending_susp = granted = 0
            if state in (State.LEGAL_STAY_REVIEW, State.LEGAL_STAY_GRANTED) or random_() < 0.1:
                kind = choice(PROCEDURE_KINDS)
                decided = state == State.LEGAL_STAY_GRANTED or (state != State.LEGAL_STAY_REVIEW and random_() < 0.7)
                procedure_status = (LegalProcedure.Status.GRANTED if state == State.LEGAL_STAY_GRANTED
                                    else LegalProcedure.Status.REJECTED if decided else LegalProcedure.Status.PENDING)
                if state == State.LEGAL_STAY_GRANTED:
                    kind = LegalProcedure.Kind.REGULARISATION_9BIS
                if state == State.LEGAL_STAY_REVIEW:
                    kind = LegalProcedure.Kind.ASYLUM_APPLICATION
                suspensive = legal.is_suspensive_by_default(kind)
                lodged = notified + dt.timedelta(days=min(age_days, randint(1, 25)))
                writers[LegalProcedure].add({
                    "id": ids[LegalProcedure], "case_id": case_id, "kind": kind, "reference": f"P{ids[LegalProcedure]}",
                    "lodged_on": lodged, "suspensive": suspensive, "status": procedure_status,
                    "decided_on": lodged + dt.timedelta(days=randint(10, 90)) if decided else None, "created_at": now,
                })
                ids[LegalProcedure] += 1
                events.append((CaseEvent.Kind.PROCEDURE_LODGED, opened, "", "", "", {"kind": kind}))
                pending += procedure_status == LegalProcedure.Status.PENDING
                pending_susp += procedure_status == LegalProcedure.Status.PENDING and suspensive
                granted += procedure_status == LegalProcedure.Status.GRANTED

            removal_planned = None
            if state in (State.FORCED_RETURN, State.REMOVED) and facilities and random_() < 0.5:
                placed_on = (state_at.date() if state == State.FORCED_RETURN else notified + dt.timedelta(days=age_days // 2))
                current = state == State.FORCED_RETURN and random_() < 0.02  # facilities are small: few current places
                writers[Placement].add({
                    "id": ids[Placement], "case_id": case_id, "facility_id": choice(facilities), "started_on": placed_on,
                    "ended_on": None if current else placed_on + dt.timedelta(days=randint(5, 55)), "created_at": now,
                })
                ids[Placement] += 1
                events.append((CaseEvent.Kind.PLACEMENT_STARTED, state_at, "", "", "", {}))
                removal_planned = today + dt.timedelta(days=randint(5, 40)) if state == State.FORCED_RETURN else None

            outcome = state_at if state in TERMINAL else None
            case_values: dict[str, Any] = {
                "id": case_id, "person_id": person_id, "target_group": group, "playbook_id": playbooks.get(group),
                "office_id": staff.office_id, "counsellor_id": counsellor,
                "state": state, "state_entered_at": state_at, "public_order": group == TargetGroup.PUBLIC_ORDER,
                "nuisance": random_() < 0.03, "vulnerable": random_() < 0.08, "minor_children": minor_children,
                "unaccompanied_minor": uam, "departure_deadline": deadline, "first_notified_on": min(order_dates), "pending_procedures": pending,
                "pending_suspensive_procedures": pending_susp, "granted_procedures": granted, "held_conversations": held,
                "voluntary_return_refusals": refusals, "consecutive_no_shows": no_shows, "last_contact_at": last_contact,
                "next_conversation_at": next_at, "removal_planned_on": removal_planned, "outcome_at": outcome,
                "opened_at": opened, "updated_at": max(state_at, last_contact or state_at),
            }
            if state == State.DEPARTED:
                case_values.update(departed_on=state_at.date(), departure_evidence="boarding_pass", destination_country=nationality or "MA")
            elif state == State.REMOVED:
                case_values.update(removed_on=state_at.date())
            elif state == State.CLOSED:
                case_values.update(close_reason=choice(("order_withdrawn", "other_eu_state", "duplicate", "other")))
            if state == State.VOLUNTARY_RETURN:
                case_values.update(voluntary_return_agreed_at=state_at)
            writers[Case].add(case_values)
            for kind, at_, transition, src, dst, data in events:
                writers[CaseEvent].add({
                    "id": ids[CaseEvent], "case_id": case_id, "at": at_, "actor_id": None, "actor_label": SYSTEM_LABEL,
                    "kind": kind, "transition": transition, "from_state": src, "to_state": dst, "data": data,
                })
                ids[CaseEvent] += 1
            if (n + 1) % 100_000 == 0:
                log(f"{n + 1:>10,} cases generated ({time.monotonic() - started:.0f} s)")
            # Flush parents before children so foreign keys always find their rows.
            if writers[CaseEvent].pending >= FLUSH_ROWS * 4:
                _flush(writers)
        _flush(writers)
        log(f"{len(foreign_keys)} foreign keys … ({time.monotonic() - started:.0f} s)")
        _add_foreign_keys(foreign_keys)
        log(f"{len(indexes)} indexes … ({time.monotonic() - started:.0f} s)")
        _create_indexes(indexes)
        log(f"counsellor loads … ({time.monotonic() - started:.0f} s)")
        for model in writers:
            _move_sequence(model)
        # The generated cases were written with COPY, past the services: count them once (decision 060).
        from cases.services.load import recompute_loads

        recompute_loads()
        log(f"quarterly figures … ({time.monotonic() - started:.0f} s)")
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {quarters.DEFERRED} = 'off'")
            cursor.execute(quarters.FILL)
            # The conversation trigger counts a conversation through its case: one copied in a
            # chunk flushed before its case's was not counted (seen: 48k of 523k at 100k cases).
            cursor.execute(tally.conversation_fill(settings.TIME_ZONE))
            cursor.execute(tally.OFFICE_CONVERSATION_FILL)
            # The case and office tallies got one delta row per key and chunk from the trigger (164k
            # rows at 1M): recounted, as the fold task (every 15 min) keeps a live register.
            cursor.execute(tally.FILL)
            cursor.execute(tally.OFFICE_FILL)
            # The outcomes of the twelve months (decision 114): one recount rather than the trigger's
            # deltas of every chunk, its histogram packed as the fold packs it (decision 121).
            outcomes.fill(cursor, settings.TIME_ZONE)
            cursor.execute(outcomes.COMPACT)
    # VACUUM as well, outside a transaction: rows written by COPY are not yet marked all-visible,
    # so index-only scans (the dashboards' counts) would visit the heap until autovacuum passes —
    # the state a live register is in. Seconds at 1M cases.
    # Every table, not only those written by COPY: the fills and the triggers above wrote the
    # tallies (1.4M person-quarter rows at 1M), the loads and the staff. Without statistics the
    # order trigger's recount of a batch's 500 people deleted its person-quarter rows by a scan of
    # the whole table, 230 ms a chunk at 1M (decision 119); autovacuum would have analysed them.
    vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    log(f"{vacuum} … ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute(vacuum)
        cursor.execute(
            f"COMMENT ON TABLE {Case._meta.db_table} IS %s",
            [f"seed_volume cases={generated + cases} seed={seed} first_id={first_case_id}"],
        )
    rows = {m.__name__: w.total for m, w in writers.items()}
    return VolumeReport(
        cases=rows["Case"], persons=rows["Person"], orders=rows["OrderToLeave"], conversations=rows["Conversation"],
        events=rows["CaseEvent"], procedures=rows["LegalProcedure"], placements=rows["Placement"],
        counsellors=sum(len(s.counsellors) for s in staff_list), seconds=time.monotonic() - started, rows=rows,
    )


def _drop_secondary_indexes(tables: list[str]) -> list[str]:
    """Drop the indexes of ``tables`` that neither are the primary key nor back a constraint
    (unique and foreign-key checks keep working during COPY); return their definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i
               WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def _drop_foreign_keys(tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of ``tables``; return (table, name, definition) of each.

    Checked row by row, the copied rows queue one deferred trigger event each (about 20M at a
    million cases: minutes, and memory); added back after the COPY, each key is checked by one
    join of the whole table (decision 073)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid::regclass::text, conname""",
            [tables],
        )
        found = cursor.fetchall()
        for table, name, _definition in found:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return found


def _add_foreign_keys(found: list[tuple[str, str, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the check is one hash join per key
        for table, name, definition in found:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for definition in definitions:
            cursor.execute(definition)


def _flush(writers: dict[type[models.Model], CopyWriter]) -> None:
    for model in (Person, Case, OrderToLeave, LegalProcedure, Placement, Conversation, CaseEvent):
        writers[model].flush()


def describe(rows: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{name}: {count:,}" for name, count in rows)
