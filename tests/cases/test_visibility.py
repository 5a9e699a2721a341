"""cases_visible_to / access_case: the one gate (DESIGN §7). Everything a user may not see is "not found"."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.api.models import ApiClient
from cases.models import Case, CaseAccess, CaseEvent
from cases.selectors import access_case, cases_visible_to
from counselling import services as counselling
from offices.models import Membership
from returnpath.errors import DomainError
from tests import factories as f

User = get_user_model()


@pytest.fixture
def two_offices(office, other_office, counsellor, other_counsellor):
    mine = [f.CaseFactory(office=office, counsellor=counsellor, state=s) for s in ("registered", "orientation", "closed")]
    theirs = [f.CaseFactory(office=other_office, counsellor=other_counsellor, state=s) for s in ("orientation", "departed")]
    return mine, theirs


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_counsellor_sees_the_cases_of_their_office_only(two_offices, counsellor, other_counsellor):
    mine, theirs = two_offices
    assert ids(cases_visible_to(counsellor)) == {c.pk for c in mine}
    assert ids(cases_visible_to(other_counsellor)) == {c.pk for c in theirs}


@pytest.mark.django_db
def test_a_counsellor_of_another_office_gets_not_found(two_offices, counsellor):
    mine, theirs = two_offices
    assert access_case(actor=counsellor, case_id=mine[0].pk) == mine[0]
    for case in theirs:
        with pytest.raises(Http404):
            access_case(actor=counsellor, case_id=case.pk)
    for bad in (999_999, "abc", None):
        with pytest.raises(Http404):
            access_case(actor=counsellor, case_id=bad)


@pytest.mark.django_db
def test_services_answer_not_found_for_another_offices_case(two_offices, counsellor, manager):
    _mine, theirs = two_offices
    case = theirs[0]
    with pytest.raises(Http404):
        services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="x")
    with pytest.raises(Http404):
        services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_appeal", lodged_on=timezone.localdate())
    with pytest.raises(Http404):
        counselling.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(Http404):
        services.update_address(actor=counsellor, case_id=case.pk, street="", postcode="1000", municipality="")


@pytest.mark.django_db
def test_a_coordinator_sees_every_case(two_offices, coordinator):
    mine, theirs = two_offices
    assert ids(cases_visible_to(coordinator)) == {c.pk for c in mine + theirs}
    assert access_case(actor=coordinator, case_id=theirs[1].pk) == theirs[1]


@pytest.mark.django_db
def test_a_superuser_sees_every_case(two_offices):
    admin = User.objects.create_superuser("root.test", "root@example.invalid", "x")
    mine, theirs = two_offices
    assert ids(cases_visible_to(admin)) == {c.pk for c in mine + theirs}


@pytest.mark.django_db
def test_a_manager_of_two_offices_sees_both(two_offices, office, other_office):
    mine, theirs = two_offices
    boss = f.staff(username="boss.test", office=office, role=Membership.Role.MANAGER)
    Membership.objects.create(user=boss, office=other_office, role=Membership.Role.MANAGER)
    assert ids(cases_visible_to(User.objects.get(pk=boss.pk))) == {c.pk for c in mine + theirs}


@pytest.mark.django_db
def test_an_inactive_membership_sees_nothing(two_offices, counsellor):
    mine, _theirs = two_offices
    Membership.objects.filter(user=counsellor).update(is_active=False)
    fresh = User.objects.get(pk=counsellor.pk)  # the office list is cached per request's user object
    assert not cases_visible_to(fresh).exists()
    with pytest.raises(Http404):
        access_case(actor=fresh, case_id=mine[0].pk)


@pytest.mark.django_db
def test_an_inactive_user_and_anonymous_see_nothing(two_offices, counsellor, coordinator):
    counsellor.is_active = False
    coordinator.is_active = False
    for user in (counsellor, coordinator, AnonymousUser(), None):
        assert not cases_visible_to(user).exists()
    mine, _theirs = two_offices
    with pytest.raises(Http404):
        access_case(actor=AnonymousUser(), case_id=mine[0].pk)


@pytest.mark.django_db
def test_a_user_without_membership_sees_nothing(two_offices):
    loner = f.UserFactory(username="loner.test", groups=["counsellor"])
    assert not cases_visible_to(loner).exists()


@pytest.mark.django_db
def test_an_api_client_sees_the_cases_of_its_own_orders(two_offices):
    mine, theirs = two_offices
    own = ApiClient.objects.create(name="Partner", user=f.UserFactory(username="partner"), scopes=["cases:read"])
    f.OrderFactory(case=mine[0], client=own)
    f.OrderFactory(case=mine[0], client=own)  # two orders on one case: still one case
    f.OrderFactory(case=theirs[0], client=None)
    assert list(cases_visible_to(own.user).values_list("pk", flat=True)) == [mine[0].pk]
    with transaction.atomic():
        assert access_case(actor=own.user, case_id=mine[0].pk, for_update=True) == mine[0]
    with pytest.raises(Http404):
        access_case(actor=own.user, case_id=theirs[0].pk)

    register = ApiClient.objects.create(name="Register", user=f.UserFactory(username="register"), scopes=["cases:read_all"])
    assert ids(cases_visible_to(register.user)) == {c.pk for c in mine + theirs}

    own.is_active = False
    own.save()
    register.is_active = False
    register.save()
    for client in (own, register):
        assert not cases_visible_to(User.objects.get(pk=client.user_id)).exists()


@pytest.mark.django_db
def test_access_case_logs_reads_when_asked(two_offices, counsellor):
    mine, _theirs = two_offices
    access_case(actor=counsellor, case_id=mine[0].pk)
    assert not CaseAccess.objects.exists()
    access_case(actor=counsellor, case_id=mine[0].pk, log_via="page")
    access = CaseAccess.objects.get()
    assert (access.case_id, access.user, access.via) == (mine[0].pk, counsellor, "page")


@pytest.mark.django_db
def test_access_case_locks_and_loads_what_the_guards_read(two_offices, counsellor, django_assert_num_queries):
    mine, _theirs = two_offices
    counsellor.has_perm("cases.view_all_cases")
    with transaction.atomic():
        # is this user an API client (once), the office list (once), then the case with its relations
        with django_assert_num_queries(3):
            access_case(actor=counsellor, case_id=mine[0].pk, for_update=True)
        with django_assert_num_queries(1):
            case = access_case(actor=counsellor, case_id=mine[0].pk, for_update=True)
        with django_assert_num_queries(0):
            loaded = (case.person.family_name, case.playbook.target_group, case.office.pk, case.counsellor.pk)
        assert loaded == (mine[0].person.family_name, "individual", mine[0].office_id, mine[0].counsellor_id)


@pytest.mark.django_db
def test_reassigning_moves_the_case_to_the_other_offices_eyes(two_offices, other_office, counsellor, other_counsellor, manager):
    mine, _theirs = two_offices
    case = mine[1]
    with pytest.raises(DomainError) as refused:
        services.reassign_case(actor=counsellor, case_id=case.pk, office_id=other_office.pk, counsellor_id=None)
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        services.reassign_case(actor=manager, case_id=case.pk, office_id=other_office.pk, counsellor_id=counsellor.pk)
    assert refused.value.code == "invalid_counsellor"
    with pytest.raises(DomainError) as refused:
        services.reassign_case(actor=manager, case_id=case.pk, office_id=f.FacilityFactory().pk, counsellor_id=None)
    assert refused.value.code == "invalid_office"

    services.reassign_case(actor=manager, case_id=case.pk, office_id=other_office.pk, counsellor_id=None, note="Moved to Antwerp.")

    moved = Case.objects.get(pk=case.pk)
    assert (moved.office, moved.counsellor) == (other_office, other_counsellor)
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNED).latest("id")
    assert event.note == "Moved to Antwerp." and event.data["before"]["office"] == case.office.name
    assert case.pk not in ids(cases_visible_to(User.objects.get(pk=counsellor.pk)))
    assert case.pk in ids(cases_visible_to(User.objects.get(pk=other_counsellor.pk)))
    with pytest.raises(Http404):
        access_case(actor=User.objects.get(pk=counsellor.pk), case_id=case.pk)
