"""Opening a case from an order to leave (browser, API and batch load share this)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import followups, legal
from cases.api.models import ApiClient
from cases.identity import normalise_national_number
from cases.matching import match_person_for_order
from cases.models import OPEN_STATES, Case, CaseEvent, OrderToLeave, Person, Playbook, TargetGroup
from cases.names import deceptive_characters, normalise_name
from cases.services.duplicates import may_move_case, record_possible_duplicate
from cases.services.events import build_event, record_event
from cases.services.new_case import is_order_reference_clash, write_new_case
from cases.services.staffing import assign_case, assignment_data, choose_assignment, choose_office
from offices.reference import cached
from returnpath.actors import Actor
from returnpath.errors import Conflict, DomainError
from returnpath.precompiled import precompiled


@dataclass(frozen=True)
class PersonData:
    family_name: str
    given_names: str = ""
    birth_date: dt.date | None = None
    sex: str = "X"
    nationality: str = ""
    national_number: str = ""
    dossier_number: str = ""
    languages: tuple[str, ...] = ()
    street: str = ""
    postcode: str = ""
    municipality: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class OrderData:
    external_reference: str
    issued_on: dt.date
    notified_on: dt.date
    departure_term_days: int
    person: PersonData
    term_reason: str = ""
    legal_basis: str = ""
    entry_ban_years: int = 0
    minor_children: int = 0
    unaccompanied_minor: bool = False
    public_order: bool = False
    nuisance: bool = False
    vulnerable: bool = False
    target_group: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def content_hash(self) -> str:
        """What "the same order" means for idempotency: every field the sender gave."""
        # asdict() without its deep copy (a batch hashes every order): the same JSON, field for field.
        payload = {**vars(self), "person": dict(vars(self.person))}
        payload.pop("extra", None)
        blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class OrderResult:
    case: Case
    order: OrderToLeave
    created: bool  # a new order was recorded (False: the same order was sent again)
    case_created: bool


def derive_target_group(data: OrderData) -> str:
    """The target group from the order's facts; the sender's hint wins when it is a valid group."""
    if data.target_group in TargetGroup.values:
        return data.target_group
    if data.unaccompanied_minor:
        return TargetGroup.UNACCOMPANIED_MINOR
    if data.minor_children:
        return TargetGroup.FAMILY
    if data.public_order:
        return TargetGroup.PUBLIC_ORDER
    if not data.person.postcode:
        return TargetGroup.NO_ADDRESS
    return TargetGroup.INDIVIDUAL


def _birth_date_in(number: str) -> dt.date | None:
    """The birth date a national register or bis number encodes, when it encodes a full one."""
    from stdnum.be import bis, nn

    compact = nn.compact(number)
    for module in (nn, bis):
        try:
            return module.get_birth_date(compact)
        except Exception:  # noqa: S112 - not this kind of number, or an unknown birth date: try the next
            continue
    return None


def validate_order(data: OrderData) -> list[tuple[str, str, str]]:
    """Domain checks on an order: (field path, code, message) for every problem at once."""
    problems = []
    if data.notified_on < data.issued_on:
        problems.append(("notified_on", "notified_before_issued", _("The notification cannot be before the order was issued.")))
    if not 0 <= data.departure_term_days <= legal.MAX_TERM_DAYS:
        problems.append(("departure_term_days", "term_out_of_range", _("The departure term is 0 to 30 days.")))
    elif data.departure_term_days < legal.FULL_TERM_DAYS and not data.term_reason.strip():
        problems.append(("term_reason", "term_reason_required", _("A departure term under 30 days must be reasoned.")))
    if data.person.birth_date and data.person.birth_date > data.notified_on:
        problems.append(("person.birth_date", "born_after_notification", _("The birth date is after the notification of the order.")))
    if data.person.national_number and data.person.birth_date:
        encoded = _birth_date_in(data.person.national_number)
        if encoded and encoded != data.person.birth_date:
            problems.append((
                "person.birth_date", "birth_date_mismatch",
                _("The birth date does not match the national number (which says %(date)s).") % {"date": encoded.isoformat()},
            ))
    for name in ("family_name", "given_names"):
        found = deceptive_characters(getattr(data.person, name))
        if found:
            problems.append((
                f"person.{name}", "invisible_characters",
                _("This name contains invisible or text-direction characters (%(chars)s). Type the name with visible letters only.")
                % {"chars": ", ".join(found)},
            ))
    if data.person.national_number:
        try:
            normalise_national_number(data.person.national_number)
        except Exception:
            problems.append(
                ("person.national_number", "invalid_national_number",
                 _("This is not a valid Belgian national register or bis number."))
            )
    problems += household_contradictions(data)
    # 18 on the day of the 18th birthday. add_months, not date.replace(year=...): a notification on
    # 29 February has no 18-years-earlier twin.
    if data.unaccompanied_minor and data.person.birth_date and data.person.birth_date <= legal.add_months(
        data.notified_on, -12 * 18
    ):
        problems.append(("household.unaccompanied_minor", "not_a_minor", _("The person is 18 or older on notification.")))
    return problems


def household_contradictions(data: OrderData) -> list[tuple[str, str, str]]:
    """A target group that contradicts the household facts, reported on both fields.

    Families are protected by the facts (minor_children: return houses, never closed centres; the
    pro-active return law, in force since 20 July 2024), so a label that says otherwise would
    mislead every reader of the case (decision 016).
    """
    problems = []
    group, children = data.target_group, data.minor_children
    if group == TargetGroup.FAMILY and children < 1:
        message = _("The target group is “family with minor children” but the household has no minor child.")
        problems += [("target_group", "household_contradiction", message),
                     ("household.minor_children", "household_contradiction", message)]
    elif group == TargetGroup.INDIVIDUAL and children > 0:
        message = _("The household has minor children but the target group is “individual”: use “family with minor children”.")
        problems += [("target_group", "household_contradiction", message),
                     ("household.minor_children", "household_contradiction", message)]
    if group == TargetGroup.UNACCOMPANIED_MINOR and not data.unaccompanied_minor:
        message = _("The target group is “unaccompanied minor” but the household does not say the person is one.")
        problems += [("target_group", "household_contradiction", message),
                     ("household.unaccompanied_minor", "household_contradiction", message)]
    elif data.unaccompanied_minor and group and group != TargetGroup.UNACCOMPANIED_MINOR:
        message = _("The person is an unaccompanied minor but the target group says otherwise.")
        problems += [("target_group", "household_contradiction", message),
                     ("household.unaccompanied_minor", "household_contradiction", message)]
    return problems


def _advisory_lock(*keys: str) -> None:
    """Serialise concurrent requests about the same reference or person (PostgreSQL only;
    SQLite serialises writers anyway). Released at the end of the transaction."""
    if connection.vendor != "postgresql":
        return
    digests = [lock_digest(key) for key in sorted(set(keys))]
    with connection.cursor() as cursor:  # one round trip; the locks are taken left to right
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(digests)), digests)


def lock_digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def playbook_id(target_group: str) -> int | None:
    """The playbook of a target group (reference data kept per process, decision 061)."""
    ids = cached("cases.playbooks", lambda: dict(Playbook.objects.values_list("target_group", "pk").order_by("-pk")))
    return ids.get(target_group)


def _identity_key(person: PersonData, national_number: str) -> str:
    if national_number:
        return f"nn:{national_number}"
    if person.dossier_number:
        return f"dossier:{person.dossier_number}"
    return f"name:{normalise_name(person.family_name).casefold()}:{person.birth_date}:{person.nationality}"


def _refresh_person(person: Person, data: PersonData) -> bool:
    """A new order carries the person's latest known address and contact details: keep them.

    Only what the order gives replaces what is known (an order without a phone number does not
    erase one). Returns whether the address changed.
    """
    changed, moved = [], False
    address = (data.street, data.postcode, data.municipality)
    if data.postcode and address != (person.street, person.postcode, person.municipality):
        person.street, person.postcode, person.municipality = address
        person.address_invalid = False
        person.address_updated_at = timezone.now()
        changed += ["street", "postcode", "municipality", "address_invalid", "address_updated_at"]
        moved = True
    for name in ("phone", "email"):
        value = getattr(data, name)
        if value and value != getattr(person, name):
            setattr(person, name, value)
            changed.append(name)
    languages = [code for code in data.languages if code not in person.languages]
    if languages:
        person.languages = [*person.languages, *languages]
        changed.append("languages")
    if changed:
        person.save(update_fields=changed)
    return moved


@transaction.atomic
def open_case_from_order(*, actor: Actor, data: OrderData, client: ApiClient | None = None) -> OrderResult:
    """Record an order to leave: a new case, or the person's open case for a repeat order.

    Idempotent on (client, external_reference): the same content returns what exists; other
    content under the same reference is a :class:`Conflict` and changes nothing.
    """
    problems = validate_order(data)
    if problems:
        raise DomainError(_("The order is not valid."), code="invalid_order", details=[f"{p}: {m}" for p, _c, m in problems])
    national_number = normalise_national_number(data.person.national_number) if data.person.national_number else ""
    content_hash = data.content_hash()
    _advisory_lock(f"order:{client.pk if client else '-'}:{data.external_reference}", _identity_key(data.person, national_number))

    received = next(iter(precompiled(("orders.received", client is None), _received, reference=data.external_reference,
                                     **({"client_id": client.pk} if client else {}))), None)
    if received is not None:
        order_id, received_hash = received
        if received_hash != content_hash:
            raise Conflict(
                _("An order with reference %(ref)s was already received with different content.") % {"ref": data.external_reference},
                code="reference_conflict",
            )
        existing = OrderToLeave.objects.select_related("case").get(pk=order_id)
        return OrderResult(case=existing.case, order=existing, created=False, case_created=False)

    deadline = legal.departure_deadline(
        notified_on=data.notified_on, term_days=data.departure_term_days, term_reason=data.term_reason
    )
    match = match_person_for_order(
        client=client,
        national_number=national_number,
        dossier_number=data.person.dossier_number,
        family_name=data.person.family_name,
        given_names=data.person.given_names,
        birth_date=data.person.birth_date,
        nationality=data.person.nationality,
    )
    case = None
    moved = False
    if match is not None and match.own:
        person = match.person
        case = Case.objects.select_for_update(of=("self",)).filter(person=person, state__in=OPEN_STATES).first()
        moved = _refresh_person(person, data.person)
    else:
        # No one, or someone known only through another client's orders: a new person and case
        # (decision 020); the other client's person, case and address stay as they are. Written
        # with the case, below.
        person = Person(
            family_name=normalise_name(data.person.family_name),
            given_names=normalise_name(data.person.given_names),
            birth_date=data.person.birth_date,
            sex=data.person.sex or Person.Sex.OTHER,
            nationality=data.person.nationality,
            national_number=national_number,
            dossier_number=data.person.dossier_number,
            languages=list(dict.fromkeys(data.person.languages)),
            street=data.person.street,
            postcode=data.person.postcode,
            municipality=data.person.municipality,
            phone=data.person.phone,
            email=data.person.email,
        )

    if case is None:
        target_group = derive_target_group(data)
        # Office and counsellor chosen first: one INSERT of the case, no UPDATE after it.
        office, counsellor = choose_assignment(person=person, issuing_region=client.issuing_region if client else "")
        case = Case(
            person=person,
            target_group=target_group,
            playbook_id=playbook_id(target_group),
            office=office,
            counsellor=counsellor,
            public_order=data.public_order,
            nuisance=data.nuisance,
            vulnerable=data.vulnerable,
            minor_children=data.minor_children,
            unaccompanied_minor=data.unaccompanied_minor,
            departure_deadline=deadline,
            first_notified_on=data.notified_on,
            early_escalation_ground="short_term" if legal.is_short_term(data.departure_term_days) else "",
        )
        order = _order(case=case, client=client, data=data, deadline=deadline, content_hash=content_hash)
        events = [build_event(case=case, actor=actor, kind=CaseEvent.Kind.OPENED, to_state=case.state,
                              data={"order": data.external_reference, "departure_deadline": deadline.isoformat()})]
        if office is not None:
            events.append(build_event(case=case, actor=actor, kind=CaseEvent.Kind.ASSIGNED,
                                      data=assignment_data(office, counsellor)))
        try:
            # The person (when new), the case, their history, the order, the events and the
            # counsellor's load: one statement.
            write_new_case(person=person, case=case, order=order, events=events)
        except IntegrityError as exc:
            if is_order_reference_clash(exc):
                raise _being_recorded() from None
            raise
        followups.run(followups.CaseAssigned(case=case, actor=actor, office=office, counsellor=counsellor, first=True))
        followups.run(followups.CaseOpened(case=case, actor=actor))
        if match is not None and not match.own:
            record_possible_duplicate(case=case, person=match.person, match=match.match, actor=actor)
        return OrderResult(case=case, order=order, created=True, case_created=True)

    # A repeat order: the newest order (by notification) sets the deadline, even when it is
    # shorter; an older order reported late does not. Flags only ever get added.
    newest = case.orders.aggregate(newest=Max("notified_on"))["newest"]
    if newest is None or data.notified_on >= newest or case.departure_deadline is None:
        case.departure_deadline = deadline
        # The newest order's own term decides whether escalation may come before its end.
        case.early_escalation_ground = "short_term" if legal.is_short_term(data.departure_term_days) else ""
    case.public_order |= data.public_order
    case.nuisance |= data.nuisance
    case.vulnerable |= data.vulnerable
    case.minor_children = max(case.minor_children, data.minor_children)
    case.first_notified_on = min(filter(None, (case.first_notified_on, data.notified_on)))
    case.save(update_fields=["departure_deadline", "early_escalation_ground", "public_order", "nuisance", "vulnerable",
                             "minor_children", "first_notified_on", "updated_at"])

    order = _order(case=case, client=client, data=data, deadline=deadline, content_hash=content_hash)
    try:
        # No savepoint: a failure here ends this whole (atomic) service, which rolls back.
        order.save(force_insert=True)
    except IntegrityError:
        raise _being_recorded() from None

    record_event(case=case, actor=actor, kind=CaseEvent.Kind.ORDER_ATTACHED,
                 data={"order": data.external_reference, "departure_deadline": deadline.isoformat()})
    if moved:
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.ADDRESS_CHANGED,
                     data={"postcode": person.postcode, "order": data.external_reference})
        # A counsellor close to home: a move to another region moves the case to its office.
        # Never a case another client's order opened, unless a person merged them (decision 020).
        if may_move_case(case=case, client=client) and choose_office(
            postcode=person.known_address_postcode
        ) != case.office:
            assign_case(case=case, actor=actor, issuing_region=client.issuing_region if client else "")
    return OrderResult(case=case, order=order, created=True, case_created=False)


def _received(reference: str, client_id: int | None = None):
    """(id, content hash) of the order already received under this reference: two columns, not
    the order and its case's sixty, for a reference that is almost always new."""
    return OrderToLeave.objects.filter(client_id=client_id, external_reference=reference).values_list("pk", "content_hash")[:1]


def _order(*, case: Case, client: ApiClient | None, data: OrderData, deadline: dt.date, content_hash: str) -> OrderToLeave:
    return OrderToLeave(
        case=case,
        client=client,
        external_reference=data.external_reference,
        issued_on=data.issued_on,
        notified_on=data.notified_on,
        departure_term_days=data.departure_term_days,
        term_reason=data.term_reason,
        legal_basis=data.legal_basis,
        entry_ban_years=data.entry_ban_years,
        departure_deadline=deadline,
        content_hash=content_hash,
    )


def _being_recorded() -> Conflict:
    # Only without the advisory lock (another database) can two requests race on the reference.
    return Conflict(_("The same order is being recorded by another request; retry."), code="retry")

