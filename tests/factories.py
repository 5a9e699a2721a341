"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Case, DetentionPeriod, LegalProcedure, OrderToLeave, Person, Placement, Playbook, State
from counselling.models import Conversation
from offices.models import ConsultationHours, Membership, Office, ServiceArea, StaffProfile

User = get_user_model()


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"OFF-{n}")
    name = factory.Sequence(lambda n: f"Regional office {n}")
    kind = Office.Kind.REGIONAL_OFFICE
    province = "brussels"
    street = "Rue de la Loi 1"
    postcode = "1000"
    municipality = "Brussels"
    languages = factory.LazyFunction(lambda: ["nl", "fr", "en"])


class FacilityFactory(OfficeFactory):
    kind = Office.Kind.CLOSED_CENTRE
    name = factory.Sequence(lambda n: f"Closed centre {n}")
    capacity = 10


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    office = factory.SubFactory(OfficeFactory)
    postcode_from = 1000
    postcode_to = 1299


def add_weekday_hours(office: Office, opens=dt.time(9), closes=dt.time(17)) -> None:
    for weekday in range(5):
        ConsultationHours.objects.get_or_create(office=office, weekday=weekday, opens=opens, closes=closes)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


def staff(*, username: str, office: Office | None, role: str = Membership.Role.COUNSELLOR, groups=(), languages=("nl", "fr", "en")):
    """A staff member with a membership (and the group of the role unless groups are given)."""
    from returnpath import roles

    default_group = {Membership.Role.COUNSELLOR: roles.COUNSELLOR, Membership.Role.MANAGER: roles.OFFICE_MANAGER}[role]
    user = UserFactory(username=username, groups=list(groups) or [default_group])
    StaffProfile.objects.get_or_create(user=user, defaults={"languages": list(languages)})
    if office is not None:
        Membership.objects.get_or_create(user=user, office=office, defaults={"role": role})
    return user


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    family_name = factory.Faker("last_name")
    given_names = factory.Faker("first_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=19, maximum_age=60)
    sex = Person.Sex.MALE
    nationality = "MA"
    languages = factory.LazyFunction(lambda: ["fr"])
    street = "Rue Haute 10"
    postcode = "1000"
    municipality = "Brussels"


def playbook(group: str = "individual") -> Playbook:
    return Playbook.objects.get(target_group=group)


class CaseFactory(factory.django.DjangoModelFactory):
    """A case; ``state`` may be given directly (the field is protected, so it is set on creation)."""

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    office = factory.SubFactory(OfficeFactory)
    target_group = "individual"
    playbook = factory.LazyAttribute(lambda o: Playbook.objects.get(target_group=o.target_group))
    departure_deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=20))
    state = State.REGISTERED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # FSMField(protected=True) refuses assignment after init, but a constructor argument is fine.
        case = model_class.objects.create(*args, **kwargs)
        # As the services do (decision 060): an open case counts for its counsellor.
        from cases.services.load import load_key, shift_load

        shift_load(None, load_key(case))
        return case


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderToLeave
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    external_reference = factory.Sequence(lambda n: f"OQT-{n:06d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=12))
    notified_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    departure_term_days = 30
    departure_deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=20))

    @factory.post_generation
    def first_notified(order, create, extracted, **kwargs):
        """What the order service keeps on the case: the earliest notification among its orders."""
        if not create:
            return
        case = order.case
        if case.first_notified_on is None or order.notified_on < case.first_notified_on:
            case.first_notified_on = order.notified_on
            Case.objects.filter(pk=case.pk).update(first_notified_on=order.notified_on)


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalProcedure

    case = factory.SubFactory(CaseFactory)
    kind = LegalProcedure.Kind.ASYLUM_APPEAL
    lodged_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))
    suspensive = True


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    case = factory.SubFactory(CaseFactory)
    facility = factory.SubFactory(FacilityFactory)
    started_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=5))


class ConversationFactory(factory.django.DjangoModelFactory):
    case = factory.SubFactory(CaseFactory)
    counsellor = factory.LazyAttribute(lambda o: o.case.counsellor)
    office = factory.LazyAttribute(lambda o: o.case.office)
    planned_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))

    class Meta:
        model = Conversation
        skip_postgeneration_save = True

    @factory.post_generation
    def next_on_the_case(conversation, create, extracted, **kwargs):
        """What the services keep on the case: the time of its planned conversation."""
        if create and conversation.status == Conversation.Status.PLANNED:
            conversation.case.next_conversation_at = conversation.planned_at
            Case.objects.filter(pk=conversation.case_id).update(next_conversation_at=conversation.planned_at)


class DetentionPeriodFactory(factory.django.DjangoModelFactory):
    """A detention title (with no placement: the sweeps and pages read the title)."""

    class Meta:
        model = DetentionPeriod

    case = factory.SubFactory(CaseFactory)
    started_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=5))
