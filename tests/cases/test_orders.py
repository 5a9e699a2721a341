"""Opening a case from an order to leave: routing, idempotency, repeat orders, validation (DESIGN §3, §4, §6)."""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from cases import legal, services
from cases.api.models import ApiClient
from cases.models import Case, CaseEvent, OrderToLeave, Person, State
from offices.models import Membership, StaffProfile
from returnpath.actors import SYSTEM
from returnpath.errors import Conflict, DomainError
from tests import factories as f

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
NN = "90010200190"  # a valid (fictitious) national register number: born 2 January 1990
NN_OTHER = "85123100561"
NN_SAME_BIRTHDAY = "90010200388"  # another person born on 2 January 1990 (like NN)
BIS = "90410200179"  # a bis number


def person(**kw) -> services.PersonData:
    values = {"family_name": "Testperson", "given_names": "Ana", "birth_date": dt.date(1990, 1, 2), "sex": "F",
              "nationality": "MA", "postcode": "2060", "municipality": "Antwerpen", "languages": ("fr",)}
    values.update(kw)
    return services.PersonData(**values)


def order(ref="OQT-1", *, notified_on=None, who=None, **kw) -> services.OrderData:
    notified_on = notified_on or TODAY - 2 * DAY
    values = {"external_reference": ref, "issued_on": notified_on - DAY, "notified_on": notified_on,
              "departure_term_days": 30, "person": who or person()}
    values.update(kw)
    return services.OrderData(**values)


@pytest.fixture
def antwerp(other_office):
    """Three counsellors at the Antwerp office with different languages and caseloads, and two who may not be chosen."""
    team = {
        "nl_free": f.staff(username="ant.nl", office=other_office, languages=("nl",)),
        "fr_busy": f.staff(username="ant.fr.busy", office=other_office, languages=("fr", "nl")),
        "fr_light": f.staff(username="ant.fr.light", office=other_office, languages=("fr", "ar")),
    }
    for _ in range(2):
        f.CaseFactory(office=other_office, counsellor=team["fr_busy"], state="orientation")
    f.CaseFactory(office=other_office, counsellor=team["fr_light"], state="voluntary_return")
    for state in ("closed", "departed", "removed"):  # closed cases are no caseload
        f.CaseFactory(office=other_office, counsellor=team["fr_light"], state=state)
    left = f.staff(username="ant.left", office=other_office, languages=("fr",))
    Membership.objects.filter(user=left).update(is_active=False)
    f.staff(username="ant.manager", office=other_office, languages=("fr",), role=Membership.Role.MANAGER)
    return team


# --- a new order -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_new_order_opens_a_case_at_the_office_serving_the_postcode(office, other_office, antwerp):
    result = services.open_case_from_order(actor=SYSTEM, data=order())

    assert result.created and result.case_created
    case = Case.objects.get(pk=result.case.pk)
    assert case.state == State.REGISTERED
    assert case.office == other_office
    assert case.counsellor == antwerp["fr_light"]  # speaks French, lightest caseload of those who do
    assert case.departure_deadline == legal.departure_deadline(notified_on=TODAY - 2 * DAY, term_days=30)
    assert case.target_group == "individual" and case.playbook.target_group == "individual"
    order_row = OrderToLeave.objects.get(case=case)
    assert (order_row.external_reference, order_row.departure_deadline) == ("OQT-1", case.departure_deadline)
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [e.kind for e in events] == [CaseEvent.Kind.OPENED, CaseEvent.Kind.ASSIGNED]
    assert events[0].to_state == State.REGISTERED and events[0].data["order"] == "OQT-1"
    assert events[0].actor_label == "ReturnPath"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("languages", "chosen"),
    [
        (("fr",), "fr_light"),
        (("ar",), "fr_light"),
        (("nl",), "nl_free"),  # all three speak Dutch: the lightest caseload wins
        (("ti",), "nl_free"),  # nobody speaks Tigrinya: the lightest caseload
        ((), "nl_free"),
        (("ti", "fr"), "fr_light"),
    ],
)
def test_the_lightest_caseload_counsellor_preferring_the_persons_language(languages, chosen, other_office, antwerp):
    case = services.open_case_from_order(actor=SYSTEM, data=order(who=person(languages=languages))).case
    assert case.counsellor == antwerp[chosen]


@pytest.mark.django_db
def test_the_language_wins_over_a_lighter_caseload(other_office, antwerp):
    for _ in range(3):
        f.CaseFactory(office=other_office, counsellor=antwerp["fr_light"], state="orientation")
    StaffProfile.objects.filter(user=antwerp["fr_busy"]).update(languages=["nl"])
    # fr_light now has 4 open cases, nl_free 0; the French speaker is still preferred.
    case = services.open_case_from_order(actor=SYSTEM, data=order(who=person(languages=("fr",)))).case
    assert case.counsellor == antwerp["fr_light"]


@pytest.mark.django_db
@pytest.mark.parametrize(("postcode", "where"), [("1050", "office"), ("1000", "office"), ("2000", "other_office"), ("2999", "other_office")])
def test_routing_by_postcode(postcode, where, office, other_office, counsellor):
    case = services.open_case_from_order(actor=SYSTEM, data=order(who=person(postcode=postcode))).case
    assert case.office == {"office": office, "other_office": other_office}[where]


@pytest.mark.django_db
def test_an_unserved_postcode_falls_back_to_the_issuing_region(office):
    ghent = f.OfficeFactory(code="GNT-TEST", name="Ghent test office", province="east_flanders")
    user = f.UserFactory(username="register")
    client = ApiClient.objects.create(name="Order register", user=user, scopes=["orders:write"], issuing_region="east_flanders")
    case = services.open_case_from_order(actor=user, data=order(who=person(postcode="8000")), client=client).case
    assert case.office == ghent and case.counsellor is None
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.OPENED).actor_label == "API: Order register"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "group"),
    [
        ({}, "individual"),
        ({"minor_children": 2}, "family"),
        ({"unaccompanied_minor": True}, "unaccompanied_minor"),
        ({"public_order": True}, "public_order"),
        ({"who": "no address"}, "no_address"),
        ({"target_group": "dublin"}, "dublin"),
        ({"target_group": "martian", "minor_children": 1}, "family"),  # an unknown hint is ignored
    ],
)
def test_target_group_and_playbook(changes, group, other_office):
    if changes.get("who") == "no address":
        changes = {"who": person(postcode="", municipality="")}
    if changes.get("unaccompanied_minor"):
        changes["who"] = person(birth_date=TODAY - 16 * 365 * DAY)
    case = services.open_case_from_order(actor=SYSTEM, data=order(**changes)).case
    assert case.target_group == group and case.playbook.target_group == group


# --- idempotency -----------------------------------------------------------------------------

def counts():
    return Case.objects.count(), OrderToLeave.objects.count(), CaseEvent.objects.count(), Person.objects.count()


@pytest.mark.django_db
def test_the_same_order_twice_returns_the_existing_case(other_office, antwerp):
    first = services.open_case_from_order(actor=SYSTEM, data=order())
    before = counts()
    again = services.open_case_from_order(actor=SYSTEM, data=order())
    assert (again.created, again.case_created) == (False, False)
    assert again.case.pk == first.case.pk and again.order.pk == first.order.pk
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"departure_term_days": 20, "term_reason": "Risk of absconding."},
        {"notified_on": TODAY - 3 * DAY},
        {"who": person(given_names="Anna")},
        {"entry_ban_years": 3},
        {"public_order": True},
    ],
)
def test_the_same_reference_with_other_content_is_a_conflict_and_changes_nothing(change, other_office, antwerp):
    first = services.open_case_from_order(actor=SYSTEM, data=order())
    before = counts()
    deadline = Case.objects.get(pk=first.case.pk).departure_deadline
    with pytest.raises(Conflict) as conflict:
        services.open_case_from_order(actor=SYSTEM, data=order(**change))
    assert conflict.value.code == "reference_conflict" and conflict.value.status == 409
    assert counts() == before
    case = Case.objects.get(pk=first.case.pk)
    assert case.departure_deadline == deadline and not case.public_order


@pytest.mark.django_db
def test_references_are_unique_per_client(other_office, antwerp):
    clients = [
        ApiClient.objects.create(name=f"client {n}", user=f.UserFactory(username=f"client{n}"), scopes=["orders:write"])
        for n in range(2)
    ]
    a = services.open_case_from_order(actor=clients[0].user, data=order("REF-1"), client=clients[0])
    b = services.open_case_from_order(actor=clients[1].user, data=order("REF-1", who=person(family_name="Other")), client=clients[1])
    assert a.case_created and b.case_created and a.case.pk != b.case.pk


# --- repeat orders ---------------------------------------------------------------------------

REPEAT = [
    # (first person, repeat person): the same person as DESIGN §3 defines it
    ("same national number", {"national_number": NN}, {"national_number": "90.01.02-001.90", "family_name": "Test-Person",
                                                        "birth_date": None, "nationality": ""}),
    ("same bis number", {"national_number": BIS}, {"national_number": BIS, "given_names": "A."}),
    ("same dossier number", {"dossier_number": "DV-1234567"}, {"dossier_number": "DV-1234567", "family_name": "Testpersson"}),
    ("same name, birth date, nationality", {}, {"family_name": "TESTPERSON", "given_names": "ana", "postcode": "1000"}),
    ("same name, no national number on the repeat", {"national_number": NN}, {"national_number": ""}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("why", "first", "repeat"), REPEAT, ids=[r[0] for r in REPEAT])
def test_a_repeat_order_attaches_to_the_open_case(why, first, repeat, other_office, antwerp):
    cases_before, _o, _e, people_before = counts()
    opened = services.open_case_from_order(
        actor=SYSTEM, data=order("OQT-1", notified_on=TODAY - 60 * DAY, who=person(**first))
    ).case
    result = services.open_case_from_order(
        actor=SYSTEM, data=order("OQT-2", notified_on=TODAY - DAY, who=person(**repeat), public_order=True)
    )

    assert result.created and not result.case_created
    assert result.case.pk == opened.pk
    assert Case.objects.count() == cases_before + 1 and Person.objects.count() == people_before + 1
    case = Case.objects.get(pk=opened.pk)
    new_deadline = legal.departure_deadline(notified_on=TODAY - DAY, term_days=30)
    assert case.departure_deadline == new_deadline  # updated from the new order
    assert case.public_order  # flags only ever get added
    assert case.orders.count() == 2
    attached = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ORDER_ATTACHED)
    assert attached.data == {"order": "OQT-2", "departure_deadline": new_deadline.isoformat()}


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["orientation", "legal_stay_review", "voluntary_return", "forced_return", "untraceable"])
def test_a_repeat_order_attaches_in_every_open_state(state, office, counsellor):
    existing = f.CaseFactory(office=office, counsellor=counsellor, state=state,
                             person=f.PersonFactory(national_number=NN, family_name="Testperson"))
    result = services.open_case_from_order(actor=SYSTEM, data=order(who=person(national_number=NN)))
    assert result.case.pk == existing.pk and not result.case_created
    assert Case.objects.get(pk=existing.pk).state == state


@pytest.mark.django_db
def test_the_newest_order_sets_the_deadline(other_office, antwerp):
    """A second order with a shorter term sets an earlier deadline; an older order reported late changes nothing."""
    case = services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", notified_on=TODAY - 5 * DAY, who=person(national_number=NN))).case
    first_deadline = Case.objects.get(pk=case.pk).departure_deadline

    services.open_case_from_order(actor=SYSTEM, data=order("OQT-2", notified_on=TODAY - DAY, who=person(national_number=NN),
                                                         departure_term_days=7, term_reason="Public order."))
    newest = legal.departure_deadline(notified_on=TODAY - DAY, term_days=7, term_reason="x")
    assert newest < first_deadline
    assert Case.objects.get(pk=case.pk).departure_deadline == newest

    services.open_case_from_order(actor=SYSTEM, data=order("OQT-0", notified_on=TODAY - 40 * DAY, who=person(national_number=NN)))
    assert Case.objects.get(pk=case.pk).departure_deadline == newest
    assert case.orders.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["departed", "removed", "legal_stay_granted", "closed"])
def test_an_order_for_a_person_whose_case_ended_opens_a_new_case(state, other_office, antwerp):
    old = services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", notified_on=TODAY - 400 * DAY,
                                                               who=person(national_number=NN))).case
    Case.objects.filter(pk=old.pk).update(state=state)

    result = services.open_case_from_order(actor=SYSTEM, data=order("OQT-2", who=person(national_number=NN)))

    assert result.case_created and result.case.pk != old.pk
    assert result.case.person_id == old.person_id
    assert Case.objects.get(pk=old.pk).state == state
    assert old.orders.count() == 1 and result.case.orders.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "other",
    [
        {"national_number": NN_OTHER},  # another national number and nothing else in common
        {"birth_date": dt.date(1991, 1, 2)},
        {"nationality": "DZ"},
        {"family_name": "Otherperson"},
        {"given_names": "Fatima"},  # a twin: same family name, birth date and nationality
    ],
)
def test_another_person_gets_another_case(other, other_office, antwerp):
    people_before = Person.objects.count()
    first = {"national_number": NN} if "national_number" in other else {}
    services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", who=person(**first)))
    repeat = dict(other)
    if "national_number" in other:
        repeat.update(family_name="Otherperson", birth_date=dt.date(1985, 12, 31))  # the birth date NN_OTHER encodes
    result = services.open_case_from_order(actor=SYSTEM, data=order("OQT-2", who=person(**repeat)))
    assert result.case_created
    assert Person.objects.count() == people_before + 2


# --- validation ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_invalid_order_is_refused_with_every_problem(other_office):
    bad = order(issued_on=TODAY, notified_on=TODAY - DAY, departure_term_days=20, who=person(national_number="90010200191"))
    before = counts()
    with pytest.raises(DomainError) as refused:
        services.open_case_from_order(actor=SYSTEM, data=bad)
    assert refused.value.code == "invalid_order"
    assert sorted(refused.value.details) == sorted([
        "notified_on: The notification cannot be before the order was issued.",
        "term_reason: A departure term under 30 days must be reasoned.",
        "person.national_number: This is not a valid Belgian national register or bis number.",
    ])
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"departure_term_days": 31}, "departure_term_days: The departure term is 0 to 30 days."),
        ({"departure_term_days": -1}, "departure_term_days: The departure term is 0 to 30 days."),
        ({"departure_term_days": 0, "term_reason": " "}, "term_reason: A departure term under 30 days must be reasoned."),
        ({"who": "nn:12345"}, "person.national_number: This is not a valid Belgian national register or bis number."),
    ],
)
def test_order_validation_rows(changes, detail, other_office):
    if "who" in changes:
        changes = {"who": person(national_number=changes["who"].split(":")[1])}
    with pytest.raises(DomainError) as refused:
        services.open_case_from_order(actor=SYSTEM, data=order(**changes))
    assert refused.value.details == [detail]


@pytest.mark.django_db
def test_a_valid_short_term_and_a_formatted_national_number(other_office, antwerp):
    result = services.open_case_from_order(actor=SYSTEM, data=order(
        departure_term_days=0, term_reason="Public order.", who=person(national_number="90.01.02-001.90")))
    case = Case.objects.get(pk=result.case.pk)
    assert case.departure_deadline == TODAY - 2 * DAY  # leave at once
    assert case.person.national_number == NN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("notified_on", "birth_date", "adult"),
    [
        (dt.date(2026, 11, 20), dt.date(2008, 11, 20), True),  # 18 that very day
        (dt.date(2026, 11, 20), dt.date(2008, 11, 19), True),
        (dt.date(2026, 11, 20), dt.date(2008, 11, 21), False),  # 18 tomorrow
        (dt.date(2026, 11, 20), dt.date(2012, 5, 1), False),
        (dt.date(2028, 2, 29), dt.date(2010, 2, 28), True),  # notified on 29 February
        (dt.date(2028, 2, 29), dt.date(2010, 3, 1), False),
    ],
)
def test_an_unaccompanied_minor_must_be_under_18_on_notification(notified_on, birth_date, adult, other_office):
    data = order(notified_on=notified_on, unaccompanied_minor=True, who=person(birth_date=birth_date))
    if adult:
        with pytest.raises(DomainError) as refused:
            services.open_case_from_order(actor=SYSTEM, data=data)
        assert refused.value.details == ["household.unaccompanied_minor: The person is 18 or older on notification."]
    else:
        assert services.open_case_from_order(actor=SYSTEM, data=data).case.unaccompanied_minor


def test_content_hash_covers_every_field_the_sender_gave():
    base = order()
    assert base.content_hash() == order().content_hash()
    for name in ("departure_term_days", "legal_basis", "entry_ban_years", "minor_children", "nuisance", "vulnerable"):
        value = getattr(base, name)
        other = dataclasses.replace(base, **{name: (value + 1) if isinstance(value, int) and not isinstance(value, bool)
                                             else (not value if isinstance(value, bool) else "x")})
        assert other.content_hash() != base.content_hash(), name
    assert dataclasses.replace(base, extra={"ignored": 1}).content_hash() == base.content_hash()



def test_content_hash_is_the_hash_of_every_field_as_asdict_renders_it():
    """The hashes already stored (idempotency, decision 112 made it cheaper) keep their meaning."""
    import hashlib
    import json

    data = dataclasses.replace(order(), person=dataclasses.replace(
        order().person, given_names="Zoë", national_number="90.04.02-001.14", languages=("ar", "fr"), street="Rue\t1",
    ), term_reason="Risque de fuite", extra={"ignored": 1})
    payload = dataclasses.asdict(data)
    payload.pop("extra")
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
    assert data.content_hash() == expected

@pytest.mark.django_db
@pytest.mark.parametrize(
    "repeat",
    [
        {"national_number": NN_SAME_BIRTHDAY, "dossier_number": "DV-1"},  # same dossier number, another national number
        {"national_number": NN_SAME_BIRTHDAY},  # same name, birth date and nationality, another national number
    ],
)
def test_two_national_numbers_are_two_people(repeat, other_office, antwerp):
    people_before = Person.objects.count()
    first = services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", who=person(national_number=NN, dossier_number="DV-1")))
    second = services.open_case_from_order(actor=SYSTEM, data=order("OQT-2", who=person(**repeat)))
    assert second.case_created and second.case.person_id != first.case.person_id
    assert Person.objects.count() == people_before + 2



@pytest.mark.django_db
def test_a_dossier_number_does_not_attach_an_order_to_a_stranger(other_office, antwerp):
    services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", who=person(dossier_number="DV-9")))
    with pytest.raises(Conflict) as conflict:
        services.open_case_from_order(
            actor=SYSTEM, data=order("OQT-2", who=person(dossier_number="DV-9", family_name="Stranger", birth_date=dt.date(1970, 5, 5)))
        )
    assert conflict.value.code == "dossier_number_conflict"
    assert OrderToLeave.objects.count() == 1


@pytest.mark.django_db
def test_two_dossier_numbers_are_two_people(other_office, antwerp):
    first = services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", who=person(dossier_number="D1")))
    second = services.open_case_from_order(actor=SYSTEM, data=order("OQT-2", who=person(dossier_number="D2")))
    assert second.case_created and second.case.person_id != first.case.person_id


@pytest.mark.django_db
def test_the_birth_date_must_match_the_national_number(other_office, antwerp):
    with pytest.raises(DomainError) as refused:
        services.open_case_from_order(actor=SYSTEM, data=order("OQT-1", who=person(national_number=NN, birth_date=dt.date(1970, 1, 2))))
    assert "birth date does not match" in " ".join(refused.value.details)
