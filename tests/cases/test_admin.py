"""The admin: every page renders, list pages stay fast, and a case cannot be edited there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from cases import services
from cases.admin import CaseAdmin, EventInline
from cases.api.models import ApiClient
from cases.models import Case, CaseEvent, State
from counselling.models import Conversation
from offices.models import Office
from tests import factories as f

User = get_user_model()
# Session, user, the page's rows with their joins, the filter choices: constant whatever the page size.
CHANGELIST_QUERIES = 9


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.invalid", "root-pass-123")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def world(case, counsellor, manager):
    """One of everything the admin shows."""
    facility = f.FacilityFactory(code="CC-T", name="Test centre", capacity=10, restriction=Office.Restriction.MEN_ONLY, province="antwerp")
    f.OrderFactory(case=case)
    f.ProcedureFactory(case=case)
    f.PlacementFactory(case=case, facility=facility)
    services.record_event(case=case, actor=counsellor, kind=CaseEvent.Kind.OPENED, to_state=case.state)
    f.ConversationFactory(case=case)
    api_user = f.UserFactory(username="api-test")
    ApiClient.objects.create(name="Test register", user=api_user, scopes=["orders:write"])
    return {"case": case, "facility": facility}


def test_every_registered_model_renders(admin_client, world):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = admin_client.get(changelist)
        assert response.status_code == 200, changelist
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            assert opts.app_label not in ("cases", "offices"), f"no {opts.model_name} to render"
            continue
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200, change
        if model_admin.has_add_permission(_request(admin_client)):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert admin_client.get(add).status_code == 200, add


def _request(client):
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="root")
    return request


def test_facility_occupancy_is_shown(admin_client, world):
    response = admin_client.get(reverse("admin:offices_office_changelist") + "?kind__exact=closed_centre")
    assert "1 / 10" in response.content.decode()


def test_case_state_cannot_be_edited_in_the_admin(admin_client, world):
    case = world["case"]
    url = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="state"' not in page
    assert "state" in CaseAdmin(Case, admin.site).get_readonly_fields(_request(admin_client), case)
    response = admin_client.post(url, {"state": State.CLOSED})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    assert admin_client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_events_are_read_only_in_the_admin(admin_client, world):
    inline = EventInline(Case, admin.site)
    request = _request(admin_client)
    assert not inline.has_add_permission(request, world["case"])
    assert not inline.has_change_permission(request, world["case"])
    assert not inline.has_delete_permission(request, world["case"])
    assert CaseEvent not in admin.site._registry


def test_api_client_is_created_with_scopes_and_a_service_user(admin_client, db):
    response = admin_client.post(reverse("admin:cases_apiclient_add"), {
        "name": "Partner X", "scopes": ["cases:read", "departures:write"], "issuing_region": "", "throttle_rate": "600/min",
        "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    client = ApiClient.objects.get(name="Partner X")
    assert client.scopes == ["cases:read", "departures:write"]
    assert client.user.username == "api-partner-x" and not client.user.has_usable_password()
    assert client.user.groups.filter(name="api client").exists()


def test_case_changelist_queries_do_not_grow_with_the_page(admin_client, django_assert_max_num_queries, office, counsellor):
    url = reverse("admin:cases_case_changelist")

    def make(n):
        for _ in range(n):
            case = f.CaseFactory(office=office, counsellor=counsellor)
            f.OrderFactory(case=case)

    make(3)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        assert admin_client.get(url).status_code == 200
    make(40)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('field-person') > 40
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        assert admin_client.get(url + "?q=OQT").status_code == 200
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        assert admin_client.get(url + f"?state__exact=registered&office__id__exact={office.pk}").status_code == 200


def test_person_and_office_changelists_stay_flat(admin_client, django_assert_max_num_queries, world, office, counsellor):
    for _ in range(20):
        f.CaseFactory(office=office, counsellor=counsellor)
    for name in ("admin:cases_person_changelist", "admin:offices_office_changelist", "admin:offices_membership_changelist",
                 "admin:cases_apiclient_changelist", "admin:offices_staffprofile_changelist"):
        with django_assert_max_num_queries(CHANGELIST_QUERIES):
            assert admin_client.get(reverse(name)).status_code == 200, name


def test_conversation_factory_exists_for_world(world):
    assert Conversation.objects.exists()


@pytest.mark.django_db
def test_the_admin_shows_an_administrator_only_the_cases_they_may_see(client, office, other_office, counsellor):
    from returnpath import roles

    mine = f.CaseFactory(office=office, counsellor=counsellor)
    theirs = f.CaseFactory(office=other_office)
    administrator = f.staff(username="admin.office", office=office, groups=[roles.ADMINISTRATOR])
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    assert client.get(f"/admin/cases/case/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/cases/case/{theirs.pk}/change/").status_code == 302  # "does not exist" → back to the list
    assert client.get(f"/admin/cases/person/{theirs.person.pk}/change/").status_code == 302
