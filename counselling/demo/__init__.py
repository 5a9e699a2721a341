"""Demo data: the Belgian offices and facilities, demo staff, and case histories.

``seed(...)`` is idempotent: reference data is created when missing (never overwritten, so
edits in the admin survive), and each demo case is keyed by its order's external reference,
so a second run creates nothing. People and stories come from a seeded random generator;
dates are relative to today, so the demo agenda is alive whenever it is seeded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cases.api.models import ApiClient
from cases.models import OrderToLeave, State
from counselling.demo import people, reference, stories
from counselling.demo.clock import FrozenClock
from offices.models import ConsultationHours, Membership, Office, ServiceArea, StaffProfile
from returnpath import roles

User = get_user_model()

DEMO_PASSWORD = "returnpath-demo"  # noqa: S105 - the published demo password (README), never a real one
DEFAULT_CASES = 320
DEFAULT_SEED = 2021  # the year the first regional office opened

# Share of each final state among the demo cases (every state gets at least one).
STATE_SHARES: dict[str, int] = {
    State.REGISTERED: 9,
    State.ORIENTATION: 28,
    State.LEGAL_STAY_REVIEW: 9,
    State.VOLUNTARY_RETURN: 9,
    State.FORCED_RETURN: 6,
    State.UNTRACEABLE: 5,
    State.DEPARTED: 13,
    State.REMOVED: 6,
    State.LEGAL_STAY_GRANTED: 5,
    State.CLOSED: 10,
}
GROUP_WEIGHTS = {"individual": 55, "family": 10, "unaccompanied_minor": 5, "public_order": 8, "dublin": 7, "no_address": 8,
                 "open_return_place": 7}
# Unaccompanied minors are never escalated here (that needs a best-interest decision for return).
MINOR_STATES = {State.REGISTERED, State.ORIENTATION, State.LEGAL_STAY_REVIEW, State.LEGAL_STAY_GRANTED, State.VOLUNTARY_RETURN,
                State.DEPARTED, State.CLOSED}
VARIANTS: dict[str, tuple[tuple[str, int], ...]] = {
    State.REGISTERED: (("", 75), ("no_show", 25)),
    State.ORIENTATION: (("", 55), ("found_again", 10), ("withdrawn", 10), ("review_rejected", 10), ("propose_escalation", 15)),
    State.LEGAL_STAY_REVIEW: (("", 80), ("law_wins", 20)),
    State.VOLUNTARY_RETURN: (("", 70), ("open_return_place", 30)),
    State.FORCED_RETURN: (("", 40), ("placed", 60)),
    State.UNTRACEABLE: (("never_came", 35), ("no_shows", 40), ("invalid_address", 25)),
    State.DEPARTED: (("", 60), ("direct", 20), ("via_open_return_place", 20)),
    State.REMOVED: (("", 100),),
    State.LEGAL_STAY_GRANTED: (("", 100),),
    State.CLOSED: (("other_eu_state", 35), ("order_withdrawn", 30), ("duplicate", 15), ("other", 15), ("deceased", 5)),
}
LIVELY_AGENDAS = ("counsellor.brussels", "counsellor.antwerp")
# Where people without a known address are intercepted: roughly by population (Statbel), so the
# "no known address" cases spread over the offices instead of all landing in Brussels.
REGIONS = ("brussels", "antwerp", "east_flanders", "west_flanders", "flemish_brabant", "limburg", "hainaut", "liege",
           "walloon_brabant", "namur", "luxembourg")
REGION_WEIGHTS = (12, 16, 14, 11, 10, 8, 12, 10, 4, 4, 3)
LEGAL_BASIS = "Art. 7, first paragraph, 1° of the Law of 15 December 1980"


@dataclass
class Actors:
    register: ApiClient
    partner: ApiClient
    managers: dict[int, object]
    facilities: list[Office]
    deputies: dict[int, object] = field(default_factory=dict)


@dataclass
class SeedReport:
    offices_created: int
    users_created: int
    cases_created: int
    states: dict[str, int]


# --- reference data ---------------------------------------------------------------------

def seed_offices() -> int:
    created = 0
    for spec in reference.ALL_OFFICES:
        office, made = Office.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name, "kind": spec.kind, "province": spec.province, "street": spec.street, "postcode": spec.postcode,
                "municipality": spec.municipality, "latitude": round(spec.latitude, 5), "longitude": round(spec.longitude, 5),
                "languages": list(spec.languages), "capacity": spec.capacity, "restriction": spec.restriction,
                "phone": spec.phone,
                "walk_in": f"{reference.WEEKDAY_NAMES[spec.walk_in_weekday]} morning 9:00–12:00"
                if spec.walk_in_weekday is not None else "",
            },
        )
        created += made
        if not made:
            continue
        for low, high in spec.areas:
            ServiceArea.objects.create(office=office, postcode_from=low, postcode_to=high)
        if spec.kind in Office.COUNSELLING_KINDS:
            for weekday in range(5):
                for (oh, om), (ch, cm) in (reference.MORNING, reference.AFTERNOON):
                    ConsultationHours.objects.create(office=office, weekday=weekday, opens=dt.time(oh, om), closes=dt.time(ch, cm))
    return created


def _user(username: str, *, first: str, last: str, password: str, groups=(), superuser: bool = False,
          languages=None, office=None, role=Membership.Role.COUNSELLOR) -> tuple[object, bool]:
    user, made = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@returnpath.invalid", "password": password,
                  "is_staff": superuser, "is_superuser": superuser},
    )
    if made:
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
    if languages is not None:
        StaffProfile.objects.get_or_create(user=user, defaults={"languages": list(languages)})
    if office is not None:
        Membership.objects.get_or_create(user=user, office=office, defaults={"role": role})
    return user, made


def seed_staff() -> int:
    """Named demo users plus counsellors and a manager for every regional office."""
    rng = random.Random(f"{DEFAULT_SEED}-staff")
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    offices = {o.code: o for o in Office.objects.filter(kind=Office.Kind.REGIONAL_OFFICE)}
    made = 0
    named = [
        ("counsellor.brussels", "Sofie", "Janssens", [roles.COUNSELLOR], ("nl", "fr", "en", "ar"), "BXL-1", Membership.Role.COUNSELLOR),
        ("counsellor.antwerp", "Pieter", "Claes", [roles.COUNSELLOR], ("nl", "en", "fr", "ru"), "ANT-1", Membership.Role.COUNSELLOR),
        ("manager.brussels", "Nathalie", "Dubois", [roles.OFFICE_MANAGER], ("fr", "nl", "en"), "BXL-1", Membership.Role.MANAGER),
    ]
    for username, first, last, groups, languages, code, role in named:
        made += _user(username, first=first, last=last, password=password, groups=groups, languages=languages,
                      office=offices[code], role=role)[1]
    made += _user("coordinator", first="Karim", last="El Khattabi", password=password, groups=[roles.NATIONAL_COORDINATOR])[1]
    made += _user("admin", first="Admin", last="ReturnPath", password=password, groups=[roles.ADMINISTRATOR], superuser=True)[1]

    used = set(User.objects.values_list("username", flat=True))
    for spec in reference.REGIONAL_OFFICES:
        office = offices[spec.code]
        # Two managers per office: a placement in detention or its extension is confirmed by a second one (four eyes).
        managers = Membership.objects.filter(office=office, role=Membership.Role.MANAGER).count()
        counsellors = Membership.objects.filter(office=office, role=Membership.Role.COUNSELLOR).count()
        wanted = 1 + spec.staff - (1 if spec.code in ("BXL-1", "ANT-1") else 0)
        people_needed = [(Membership.Role.MANAGER, roles.OFFICE_MANAGER)] * max(2 - managers, 0) + [
            (Membership.Role.COUNSELLOR, roles.COUNSELLOR)] * max(wanted - counsellors, 0)
        for i, (role, group) in enumerate(people_needed):
            first, last = rng.choice(reference.STAFF_FIRST_NAMES), rng.choice(reference.STAFF_LAST_NAMES)
            base = f"{slugify(first)}.{slugify(last)}".replace("-", "")
            username = base
            n = 2
            while username in used:
                username, n = f"{base}{n}", n + 1
            used.add(username)
            extra = reference.STAFF_LANGUAGE_SETS[(len(used) + i) % len(reference.STAFF_LANGUAGE_SETS)]
            spoken = [*spec.languages, *(x for x in extra if x not in spec.languages)]
            made += _user(username, first=first, last=last, password=password, groups=[group], languages=spoken,
                          office=office, role=role)[1]
    return made


def seed_api_clients() -> tuple[ApiClient, ApiClient]:
    group = Group.objects.get(name=roles.API_CLIENT)
    clients = []
    for name, username, scopes in (
        ("Immigration Office – order register", "api-order-register",
         ["orders:write", "cases:read", "procedures:write", "departures:write"]),
        ("Voluntary-return partner (demo)", "api-return-partner", ["cases:read", "departures:write"]),
    ):
        user, made = User.objects.get_or_create(username=username, defaults={"first_name": name[:150]})
        if made:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        client, _ = ApiClient.objects.get_or_create(name=name, defaults={"user": user, "scopes": scopes})
        clients.append(client)
    return clients[0], clients[1]


# --- the people and their cases -------------------------------------------------------------

def _states(n: int, rng: random.Random) -> list[str]:
    total = sum(STATE_SHARES.values())
    states = [state for state, share in STATE_SHARES.items() for _ in range(max(1, round(n * share / total)))]
    while len(states) > n and len(states) > len(STATE_SHARES):
        states.remove(State.ORIENTATION)
    while len(states) < n:
        states.append(State.ORIENTATION)
    rng.shuffle(states)
    return states


def case_plans(n: int, seed: int, today: dt.date) -> list[stories.CasePlan]:
    """Every demo case as data, from the seed alone (the database is not read)."""
    rng = random.Random(seed)
    taken: set[str] = set()
    plans = []
    for index, target in enumerate(_states(n, rng), start=1):
        group = rng.choices(list(GROUP_WEIGHTS), weights=list(GROUP_WEIGHTS.values()))[0]
        if group == "unaccompanied_minor" and target not in MINOR_STATES:
            group = "individual"
        nationality = people.pick_nationality(rng)
        sex = "M" if rng.random() < (0.7 if group != "family" else 0.5) else "F"
        age_days = rng.randint(*stories.AGE_DAYS[target])
        opened = today - dt.timedelta(days=age_days)
        if group == "unaccompanied_minor":
            birth = people.birth_date_for_age(rng, on=opened, low=15, high=16)
        else:
            birth = people.birth_date_for_age(rng, on=opened, low=19, high=58)
        family, given = people.pick_name(rng, nationality, sex)
        kind = rng.random()
        national_number = ""
        if kind < 0.8:
            national_number = people.identity_number(rng, birth_date=birth, sex=sex, bis_number=kind >= 0.45, taken=taken)
        street, postcode, municipality = ("", "", "") if group == "no_address" else people.pick_address(rng)
        person = stories.PersonData(
            family_name=family, given_names=given, birth_date=birth, sex=sex, nationality=nationality.code,
            national_number=national_number, dossier_number=f"{rng.randint(7, 9)}.{rng.randint(100, 999)}.{index:03d}",
            languages=nationality.languages[: rng.randint(1, len(nationality.languages))],
            street=street, postcode=postcode, municipality=municipality,
            phone=people.phone_number(rng) if rng.random() < 0.7 else "",
            email=people.email_for(index) if rng.random() < 0.3 else "",
        )
        public_order = group == "public_order"
        term_days, term_reason = 30, ""
        if public_order:
            term_days, term_reason = rng.choice((0, 7)), "Risk to public order (art. 74/14 §3 of the Law of 15 December 1980)."
        elif group == "dublin":
            term_days, term_reason = 7, "Dublin transfer to the responsible member state."
        elif rng.random() < 0.1:
            term_days, term_reason = rng.choice((7, 15)), "Risk of absconding: earlier order not complied with."
        variants, weights = zip(*VARIANTS[target], strict=True)
        plans.append(stories.CasePlan(
            index=index, target=target, group=group, person=person, age_days=age_days, term_days=term_days,
            term_reason=term_reason, legal_basis=LEGAL_BASIS, entry_ban_years=rng.choice((0, 0, 0, 2, 3)) if not public_order else 5,
            minor_children=rng.randint(1, 4) if group == "family" else 0,
            unaccompanied_minor=group == "unaccompanied_minor", public_order=public_order,
            nuisance=rng.random() < 0.03, vulnerable=rng.random() < 0.12,
            variant=rng.choices(variants, weights=weights)[0],
            # About a fifth of orders go to someone who already had one (DESIGN §2: 40 % in 2019 counts
            # earlier, unrecorded orders too): a repeat order on the open case, or a person who comes back.
            repeat_order=rng.random() < 0.38,  # only some stories can attach one: about a fifth of orders in the end
            returns_later=target in (State.DEPARTED, State.CLOSED) and rng.random() < 0.4,
            region=random.Random(f"{seed}-region-{index}").choices(REGIONS, weights=REGION_WEIGHTS)[0] if group == "no_address" else "",
        ))
    return plans


@transaction.atomic
def seed(*, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED, log=None) -> SeedReport:
    log = log or (lambda message: None)
    offices_created = seed_offices()
    users_created = seed_staff()
    register, partner = seed_api_clients()
    log(f"Offices: {offices_created} created; users: {users_created} created.")

    managers: dict[int, object] = {}
    deputies: dict[int, object] = {}
    for m in Membership.objects.filter(role=Membership.Role.MANAGER, is_active=True).select_related("user").order_by("id"):
        (deputies if m.office_id in managers else managers).setdefault(m.office_id, m.user)
    actors = Actors(register=register, partner=partner, managers=managers, deputies=deputies,
                    facilities=list(Office.objects.filter(kind__in=Office.FACILITY_KINDS, is_active=True).order_by("code")))
    now = timezone.now()
    plans = case_plans(cases, seed, timezone.localdate())
    existing = set(OrderToLeave.objects.filter(external_reference__startswith="DEMO-OQT-")
                   .values_list("external_reference", flat=True))
    todo = [p for p in plans if p.reference not in existing]
    agenda = stories.Agenda()
    agenda.lively = set(User.objects.filter(username__in=LIVELY_AGENDAS).values_list("pk", flat=True))
    done = []
    with FrozenClock() as clock:
        for plan in todo:
            rng = random.Random(f"{seed}-{plan.index}")
            story = stories.run(plan, clock=clock, agenda=agenda, now=now, actors=actors, rng=rng)
            done.append(story)
            if plan.returns_later and story.case.state in (State.DEPARTED, State.CLOSED):
                _come_back(story, plan, clock=clock, agenda=agenda, now=now, actors=actors, rng=rng)
    log(f"Cases: {len(done)} created.")
    return SeedReport(offices_created=offices_created, users_created=users_created, cases_created=len(done),
                      states=stories.summary(done))


def _come_back(story, plan, *, clock, agenda, now, actors, rng) -> None:
    """A person who left (or whose case was closed) is found again and gets a new order: a new case."""
    gap = dt.timedelta(days=rng.randint(30, 90))
    if story.t + gap > now - dt.timedelta(days=20):
        return
    again = stories.CasePlan(**{**plan.__dict__, "index": plan.index, "target": State.ORIENTATION, "variant": "",
                                "repeat_order": False, "returns_later": False})
    second = stories.Story(plan=again, clock=clock, agenda=agenda, now=now, actors=actors, rng=rng)
    try:
        second.open(story.t + gap, f"{plan.reference}-R")
        stories.story_orientation(second)
    except stories.StoryCut:
        pass
