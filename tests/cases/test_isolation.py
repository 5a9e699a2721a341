"""Isolation between API clients (decision 020): a match on another client's person never
returns, reveals, changes or moves that client's case; it becomes a possible duplicate."""

import pytest

from cases.models import Case, CaseEvent, OrderToLeave, Person, PossibleDuplicate, State
from cases.services.duplicates import dismiss_possible_duplicate, duplicates_for_review, merge_possible_duplicate
from returnpath.errors import Conflict, DomainError
from tests import factories as f
from tests.cases.test_api_support import order_payload

ORDERS = "/api/v1/orders/"
NN = "90040200114"  # valid national number born 2 April 1990, like the payload's person

pytestmark = pytest.mark.usefixtures("_clean_api_cache")
pytest_plugins = ["tests.cases.test_api_support"]


def _antwerp_order(ref: str, **kw) -> dict:
    return order_payload(ref, person__address={"street": "Meir 1", "postcode": "2000", "municipality": "Antwerpen"}, **kw)


# (what identifies the person in both orders, the match recorded)
MATCHES = [
    ({}, PossibleDuplicate.Match.NAME),
    ({"person__national_number": NN}, PossibleDuplicate.Match.NATIONAL_NUMBER),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("identity", "match"), MATCHES, ids=["weak-name", "strong-national-number"])
def test_another_clients_match_opens_a_new_case_and_a_review(api_register, api_partner, other_office, identity, match):
    _r, register = api_register
    partner_client, partner = api_partner
    first = register.post(ORDERS, order_payload("REG-1", person__dossier_number="", **identity), format="json")
    assert first.status_code == 201
    theirs = Case.objects.get(pk=first.json()["id"])
    office_before, person_before = theirs.office_id, Person.objects.values().get(pk=theirs.person_id)

    second = partner.post(ORDERS, _antwerp_order("PAR-1", person__dossier_number="", person__phone="+32 499 00 00 00",
                                                 **identity), format="json")
    assert second.status_code == 201
    body = second.json()
    assert body["id"] != theirs.pk and not body["url"].endswith(f"/cases/{theirs.pk}/")
    # The other client's case and person are exactly as they were: not attached, not moved, not updated.
    theirs.refresh_from_db()
    assert theirs.office_id == office_before and theirs.orders.count() == 1
    assert Person.objects.values().get(pk=theirs.person_id) == person_before
    review = PossibleDuplicate.objects.get()
    assert (review.case_id, review.existing_case_id, review.match) == (body["id"], theirs.pk, match)
    # The partner reads, records procedures and departures only on its own case.
    assert partner.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    assert partner.post(f"/api/v1/cases/{theirs.pk}/procedures/", {"kind": "regularisation_9bis", "lodged_on": "2026-11-20"},
                        format="json").status_code == 404
    assert partner.post(f"/api/v1/cases/{theirs.pk}/departure/", {"departed_on": "2026-11-20", "evidence": "border_stamp"},
                        format="json").status_code == 404
    listed = [c["id"] for c in partner.get("/api/v1/cases/").json()["results"]]
    assert listed == [body["id"]]
    # Its own case's events say nothing about the other case.
    own = partner.get(f"/api/v1/cases/{body['id']}/").json()
    assert {e["kind"] for e in own["events"]}.isdisjoint({"possible_duplicate", "duplicate_merged", "duplicate_dismissed"})
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.POSSIBLE_DUPLICATE).count() == 2  # staff see it on both
    assert partner_client.orders.get().case_id == body["id"]


@pytest.mark.django_db
def test_a_repeat_order_of_the_same_client_still_attaches_and_moves(api_register, other_office):
    _r, register = api_register
    first = register.post(ORDERS, order_payload("REG-1", person__dossier_number=""), format="json").json()
    second = register.post(ORDERS, _antwerp_order("REG-2", person__dossier_number=""), format="json")
    assert second.status_code == 201 and second.json()["id"] == first["id"]
    assert Case.objects.get().office == other_office
    assert not PossibleDuplicate.objects.exists()


@pytest.mark.django_db
def test_a_foreign_dossier_number_with_another_name_is_neither_a_conflict_nor_a_review(api_register, api_partner):
    _r, register = api_register
    _p, partner = api_partner
    register.post(ORDERS, order_payload("REG-1", person__dossier_number="D-42"), format="json")
    other = partner.post(ORDERS, order_payload("PAR-1", person__dossier_number="D-42", person__family_name="Peeters",
                                               person__birth_date="1970-01-01"), format="json")
    assert other.status_code == 201  # a 409 would tell the partner that the number exists
    assert Case.objects.count() == 2 and not PossibleDuplicate.objects.exists()


@pytest.fixture
def review(api_register, api_partner):
    _r, register = api_register
    _p, partner = api_partner
    register.post(ORDERS, order_payload("REG-1", person__dossier_number=""), format="json")
    partner.post(ORDERS, order_payload("PAR-1", person__dossier_number="", notified_on="2026-01-01",
                                       issued_on="2025-12-30"), format="json")
    return PossibleDuplicate.objects.get()


@pytest.mark.django_db
def test_who_reviews_duplicates(review, counsellor, manager, coordinator, other_office):
    assert list(duplicates_for_review(coordinator)) == [review]
    assert list(duplicates_for_review(manager)) == [review]  # both cases are in the manager's office
    assert not duplicates_for_review(counsellor).exists()
    outsider = f.staff(username="ant.manager", office=other_office, role="manager")
    assert not duplicates_for_review(outsider).exists()


@pytest.mark.django_db
def test_merge_moves_the_orders_and_closes_the_new_case(review, coordinator, api_partner):
    _p, partner = api_partner
    with pytest.raises(DomainError):
        merge_possible_duplicate(actor=coordinator, duplicate_id=review.pk, note="  ")
    kept = merge_possible_duplicate(actor=coordinator, duplicate_id=review.pk, note="Same passport copy")
    new = Case.objects.get(pk=review.case_id)
    assert kept.pk == review.existing_case_id and new.state == State.CLOSED and new.close_reason == "duplicate"
    assert set(OrderToLeave.objects.values_list("case_id", flat=True)) == {kept.pk}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.DUPLICATE_MERGED).count() == 2
    review.refresh_from_db()
    assert review.status == "merged" and review.resolved_by == coordinator
    # After the review, the partner's order belongs to the kept case: it may read it now.
    assert partner.get(f"/api/v1/cases/{kept.pk}/").status_code == 200
    with pytest.raises(Conflict):
        merge_possible_duplicate(actor=coordinator, duplicate_id=review.pk, note="again")


@pytest.mark.django_db
def test_dismiss_keeps_both_cases(review, manager, counsellor, client):
    with pytest.raises(Exception) as refused:
        dismiss_possible_duplicate(actor=counsellor, duplicate_id=review.pk, note="x")
    assert refused.type.__name__ == "Http404"
    dismiss_possible_duplicate(actor=manager, duplicate_id=review.pk, note="Different fathers' names")
    assert Case.objects.filter(state=State.REGISTERED).count() == 2
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.DUPLICATE_DISMISSED).count() == 2


@pytest.mark.django_db
def test_review_pages(review, manager, counsellor, client):
    client.force_login(counsellor)
    assert client.get("/cases/duplicates/").status_code == 403
    client.force_login(manager)
    page = client.get("/cases/duplicates/")
    assert page.status_code == 200 and f"#{review.case_id}" in page.content.decode()
    answer = client.post(f"/cases/duplicates/{review.pk}/merge/", {"note": "same person"})
    assert answer.status_code == 302
    review.refresh_from_db()
    assert review.status == "merged"


@pytest.mark.django_db
def test_a_person_without_any_case_is_nobodys_and_needs_no_review(api_partner):
    _p, partner = api_partner
    f.PersonFactory(family_name="El Amrani", given_names="Youssef", birth_date="1990-04-02", nationality="MA",
                    national_number="", dossier_number="")
    response = partner.post(ORDERS, order_payload("PAR-1", person__dossier_number=""), format="json")
    assert response.status_code == 201 and not PossibleDuplicate.objects.exists()


@pytest.mark.django_db
def test_after_a_merge_the_other_clients_next_order_joins_and_may_move_the_kept_case(review, coordinator, api_partner,
                                                                                     other_office):
    _p, partner = api_partner
    kept = merge_possible_duplicate(actor=coordinator, duplicate_id=review.pk, note="same person")
    again = partner.post(ORDERS, _antwerp_order("PAR-2", person__dossier_number=""), format="json")
    assert again.status_code == 201 and again.json()["id"] == kept.pk
    kept.refresh_from_db()
    assert kept.office == other_office


@pytest.mark.django_db
@pytest.mark.parametrize("resolve", ["dismiss", "merge"])
def test_an_unreviewed_duplicate_stops_forced_return_on_both_cases_until_reviewed(review, manager, resolve):
    """Until a person has looked, a suspensive procedure on the other case may concern this person too:
    neither case may be escalated or removed (the law wins over the workflow)."""
    from cases.guards import no_unreviewed_duplicate
    from cases.services.transitions import transition_refusals

    Case.objects.filter(pk__in=[review.case_id, review.existing_case_id]).update(state=State.ORIENTATION)
    new, existing = Case.objects.get(pk=review.case_id), Case.objects.get(pk=review.existing_case_id)
    assert new.unreviewed_duplicates == existing.unreviewed_duplicates == 1
    for case in (new, existing):
        assert not no_unreviewed_duplicate(case)
        assert any("possible duplicate" in reason for reason in transition_refusals(case, "escalate_to_forced_return", manager))
    if resolve == "dismiss":
        dismiss_possible_duplicate(actor=manager, duplicate_id=review.pk, note="Different people")
    else:
        merge_possible_duplicate(actor=manager, duplicate_id=review.pk, note="Same person")
    for case in Case.objects.filter(pk__in=[review.case_id, review.existing_case_id]):
        assert case.unreviewed_duplicates == 0 and no_unreviewed_duplicate(case)
