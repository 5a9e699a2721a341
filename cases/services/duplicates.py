"""Possible duplicates across API clients: recorded by the order service, reviewed by a person
(decision 020). A merge is the only way a case opened by one client's order comes to hold
another client's order."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import F, IntegerField, Max, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import followups
from cases.models import OPEN_STATES, Case, CaseEvent, OrderToLeave, Person, PossibleDuplicate
from cases.selectors import cases_visible_to, is_coordinator
from cases.services.events import actor_label, record_event
from cases.services.load import load_key, shift_load
from returnpath.actors import Actor, User
from returnpath.errors import Conflict, DomainError


def may_review_duplicates(user) -> bool:
    """Coordinators, and office managers (who may reassign cases) for cases of their offices."""
    return bool(user and user.is_authenticated and user.is_active) and (
        is_coordinator(user) or user.has_perm("cases.reassign_case")
    )


def duplicates_for_review(user, *, status: str = PossibleDuplicate.Status.OPEN) -> QuerySet[PossibleDuplicate]:
    """The reviews a user may act on: both cases visible to them; certain identities first."""
    if not may_review_duplicates(user):
        return PossibleDuplicate.objects.none()
    visible = cases_visible_to(user).values("pk")
    return (
        PossibleDuplicate.objects.filter(status=status, case__in=visible, existing_case__in=visible)
        .select_related("case__person", "case__office", "existing_case__person", "existing_case__office")
        .annotate(strong=When_(When(match=PossibleDuplicate.Match.NATIONAL_NUMBER, then=Value(0)), default=Value(1),
                               output_field=IntegerField()))
        .order_by("strong", "created_at", "id")
    )


def may_move_case(*, case: Case, client) -> bool:
    """Whether an order of ``client`` may move ``case`` to another office: only a case the client's
    own order opened, or one a person merged after review (the merge is the review)."""
    if client is None:
        return True
    first = case.orders.order_by("received_at", "id").values_list("client_id", flat=True).first()
    if first == client.pk:
        return True
    return PossibleDuplicate.objects.filter(existing_case=case, status=PossibleDuplicate.Status.MERGED).exists()


def record_possible_duplicate(*, case: Case, person: Person, match: str, actor: Actor) -> PossibleDuplicate | None:
    """Called by the order service inside its transaction, after opening ``case``. Nothing to
    review when the matched person has no case (nothing of anyone's to protect or merge)."""
    existing = (
        Case.objects.filter(person=person, state__in=OPEN_STATES).first()
        or Case.objects.filter(person=person).order_by("-opened_at", "-id").first()
    )
    if existing is None:
        return None
    review = PossibleDuplicate.objects.create(case=case, existing_case=existing, match=match)
    # Until a person has reviewed the pair, neither case may go to forced return or removal
    # (guards.no_unreviewed_duplicate). The new case is also held in memory by the order service.
    Case.objects.filter(pk__in=[case.pk, existing.pk]).update(unreviewed_duplicates=F("unreviewed_duplicates") + 1)
    case.unreviewed_duplicates += 1
    # Staff see the review on both timelines; the API never shows these kinds (cases.api.views).
    for on, other in ((case, existing), (existing, case)):
        record_event(case=on, actor=actor, kind=CaseEvent.Kind.POSSIBLE_DUPLICATE,
                     data={"review": review.pk, "other_case": other.pk, "match": match})
    return review


def _review(*, actor: Actor, duplicate_id: int) -> PossibleDuplicate:
    try:
        review = _reviews_any_status(actor).select_for_update(of=("self",)).get(pk=duplicate_id)
    except (PossibleDuplicate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such review.") from None
    if review.status != PossibleDuplicate.Status.OPEN:
        raise Conflict(_("This possible duplicate was already reviewed."), code="already_reviewed")
    return review


def _reviews_any_status(user) -> QuerySet[PossibleDuplicate]:
    if not may_review_duplicates(user):
        return PossibleDuplicate.objects.none()
    visible = cases_visible_to(user).values("pk")
    return PossibleDuplicate.objects.filter(case__in=visible, existing_case__in=visible)


def _resolve(review: PossibleDuplicate, *, actor: User, status: str, note: str) -> None:
    review.status = status
    review.note = note
    review.resolved_at = timezone.now()
    review.resolved_by = actor
    review.resolved_by_label = actor_label(actor)
    review.save(update_fields=["status", "note", "resolved_at", "resolved_by", "resolved_by_label"])
    Case.objects.filter(pk__in=[review.case_id, review.existing_case_id], unreviewed_duplicates__gt=0).update(
        unreviewed_duplicates=F("unreviewed_duplicates") - 1
    )


@transaction.atomic
def merge_possible_duplicate(*, actor: User, duplicate_id: int, note: str) -> Case:
    """The same person: both open → the new case's orders join the existing case and the new case
    closes as a duplicate; otherwise the new case continues, now about the known person.
    Returns the case that goes on."""
    if not note.strip():
        raise DomainError(_("Explain in a few words why these are the same person."), code="note_required")
    review = _review(actor=actor, duplicate_id=duplicate_id)
    locked = {c.pk: c for c in Case.objects.select_for_update(of=("self",)).filter(
        pk__in=[review.case_id, review.existing_case_id]).order_by("pk")}
    new, existing = locked[review.case_id], locked[review.existing_case_id]
    if new.is_open and existing.is_open:
        if new.procedures.exists() or new.placements.exists():
            raise Conflict(
                _("The new case already has legal procedures or placements: record them on the existing case and close "
                  "the new case as a duplicate instead."), code="duplicate_has_history",
            )
        moved = list(new.orders.values_list("external_reference", flat=True))
        # As for a repeat order: the newest order by notification sets the deadline.
        before = existing.orders.aggregate(newest=Max("notified_on"))["newest"]
        incoming = new.orders.order_by("-notified_on", "-id").first()
        OrderToLeave.objects.filter(case=new).update(case=existing)
        if incoming is not None and (before is None or incoming.notified_on >= before or existing.departure_deadline is None):
            existing.departure_deadline = incoming.departure_deadline
        existing.public_order |= new.public_order
        existing.nuisance |= new.nuisance
        existing.vulnerable |= new.vulnerable
        existing.minor_children = max(existing.minor_children, new.minor_children)
        existing.save(update_fields=["departure_deadline", "public_order", "nuisance", "vulnerable", "minor_children",
                                     "updated_at"])
        from_state, counted_for = new.state, load_key(new)
        new.close(reason=Case.CloseReason.DUPLICATE, close_note=note)
        new.save()
        shift_load(counted_for, load_key(new))
        record_event(case=new, actor=actor, kind=CaseEvent.Kind.TRANSITION, transition="close", from_state=from_state,
                     to_state=new.state, note=note, data={"reason": Case.CloseReason.DUPLICATE})
        # As for any closing: counselling cancels what was planned for the closed case.
        followups.run(followups.StateChanged(case=new, actor=actor, from_state=from_state, to_state=new.state))
        kept = existing
        data = {"review": review.pk, "orders": moved}
    else:
        old_person = new.person
        new.person = existing.person
        new.save(update_fields=["person", "updated_at"])
        if not old_person.cases.exists():
            old_person.delete()
        kept = new
        data = {"review": review.pk}
    for on, other in ((new, existing), (existing, new)):
        record_event(case=on, actor=actor, kind=CaseEvent.Kind.DUPLICATE_MERGED, note=note,
                     data={**data, "other_case": other.pk})
    _resolve(review, actor=actor, status=PossibleDuplicate.Status.MERGED, note=note)
    return kept


@transaction.atomic
def dismiss_possible_duplicate(*, actor: User, duplicate_id: int, note: str) -> PossibleDuplicate:
    """Two different people: both cases go on unchanged."""
    if not note.strip():
        raise DomainError(_("Explain in a few words why these are different people."), code="note_required")
    review = _review(actor=actor, duplicate_id=duplicate_id)
    for case_id, other in ((review.case_id, review.existing_case_id), (review.existing_case_id, review.case_id)):
        record_event(case=Case(pk=case_id), actor=actor, kind=CaseEvent.Kind.DUPLICATE_DISMISSED, note=note,
                     data={"review": review.pk, "other_case": other})
    _resolve(review, actor=actor, status=PossibleDuplicate.Status.DISMISSED, note=note)
    return review
