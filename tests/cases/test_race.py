"""Two people act on the same case at the same moment: exactly one wins, nothing is silently overwritten.

The thread tests use two real PostgreSQL connections (Django gives each thread its own); the
stale-instance tests run on any database.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from cases import services
from cases.models import Case, CaseEvent, Placement, State
from cases.services import transitions as transition_services
from counselling import services as counselling
from counselling.models import Conversation
from returnpath.errors import Conflict, DomainError, TransitionRefused
from tests import factories as f

# tests/conftest.py runs every transactional test through the migrated snapshot (serialized
# rollback), so the roles and playbooks are there and stay there for the tests after these.
TRANSACTIONAL = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_queue(monkeypatch):
    """Committed transactions queue Celery work after commit: keep it off the broker in these tests."""
    queued = []
    monkeypatch.setattr("counselling.tasks.enqueue", lambda task, **kwargs: queued.append((task.name, kwargs)))
    return queued


def delay(monkeypatch, module, name: str, seconds: float) -> None:
    """``module.name`` waits ``seconds`` before it runs: whoever calls it holds its locks that much longer."""
    original = getattr(module, name)

    def slowly(**kwargs):
        time.sleep(seconds)
        return original(**kwargs)

    monkeypatch.setattr(module, name, slowly)


@pytest.fixture
def slow_winner(monkeypatch):
    """The winner holds the case's row lock a moment longer, so the loser surely waits on it."""
    delay(monkeypatch, transition_services, "record_event", 0.2)


def at_the_same_moment(*calls):
    """Run each call in its own thread (its own database connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("won", call())
        except Exception as exc:  # the loser's answer is what we test
            outcomes[index] = ("lost", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def one_winner(outcomes, *loser_errors):
    won = [value for kind, value in outcomes if kind == "won"]
    lost = [value for kind, value in outcomes if kind == "lost"]
    assert len(won) == 1 and len(lost) == len(outcomes) - 1, outcomes
    for error in lost:
        assert isinstance(error, loser_errors), repr(error)
    return won[0], lost


def escalation_ready(office, counsellor):
    return f.CaseFactory(
        office=office, counsellor=counsellor, state="orientation", consecutive_no_shows=2, voluntary_return_refusals=2,
        departure_deadline=timezone.localdate() - dt.timedelta(days=1), voluntary_return_agreed_at=timezone.now(),
    )


def transition_events(case):
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION))


@pytest.mark.postgres
@TRANSACTIONAL
def test_two_different_steps_at_once_one_wins(office, counsellor, manager, no_queue, slow_winner):
    case = escalation_ready(office, counsellor)
    other_manager = f.staff(username="manager.two", office=office, role="manager")

    outcomes = at_the_same_moment(
        lambda: services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused twice."),
        lambda: services.lose_contact(actor=other_manager, case_id=case.pk),
    )

    winner, (loser,) = one_winner(outcomes, TransitionRefused)
    # The loser waited for the lock, then saw the winner's state: its step is not possible from there.
    assert "is not possible while the case is in" in loser.details[0]
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == winner.state and stored.state in (State.FORCED_RETURN, State.UNTRACEABLE)
    (event,) = transition_events(case)
    assert (event.from_state, event.to_state) == (State.ORIENTATION, stored.state)


@pytest.mark.postgres
@TRANSACTIONAL
def test_two_steps_from_the_page_the_loser_gets_a_conflict(office, counsellor, manager, no_queue, slow_winner):
    """Both users saw the case in orientation (expected_state): the second answer is a conflict."""
    case = escalation_ready(office, counsellor)

    outcomes = at_the_same_moment(
        lambda: services.agree_voluntary_return(actor=counsellor, case_id=case.pk, expected_state=State.ORIENTATION),
        lambda: services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="Same as #1.",
                                    expected_state=State.ORIENTATION),
    )

    winner, (loser,) = one_winner(outcomes, Conflict)
    assert loser.status == 409
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == winner.state
    assert len(transition_events(case)) == 1


@pytest.mark.postgres
@TRANSACTIONAL
def test_the_same_step_twice_at_once_happens_once(office, counsellor, manager, no_queue, slow_winner):
    case = escalation_ready(office, counsellor)
    outcomes = at_the_same_moment(
        lambda: services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="first"),
        lambda: services.close_case(actor=manager, case_id=case.pk, reason="deceased", note="second"),
    )
    winner, _lost = one_winner(outcomes, TransitionRefused)
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == State.CLOSED and stored.close_note == winner.close_note
    assert len(transition_events(case)) == 1


@pytest.mark.postgres
@TRANSACTIONAL
def test_the_last_place_of_a_facility_goes_to_one_case(office, counsellor, manager, no_queue, settings):
    settings.RETURNPATH_FOUR_EYES_DETENTION = False  # the placement takes effect at once: the race is on the place
    centre = f.FacilityFactory(capacity=1)
    first = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return")
    second = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return")
    other_manager = f.staff(username="manager.two", office=office, role="manager")

    outcomes = at_the_same_moment(
        lambda: services.place_in_facility(actor=manager, case_id=first.pk, facility_id=centre.pk),
        lambda: services.place_in_facility(actor=other_manager, case_id=second.pk, facility_id=centre.pk),
    )

    _placement, (loser,) = one_winner(outcomes, TransitionRefused)
    assert loser.details == [f"{centre.name} is full (1 of 1 places taken)."]
    assert Placement.objects.filter(facility=centre, ended_on__isnull=True).count() == 1


@pytest.mark.postgres
@TRANSACTIONAL
def test_two_counsellors_planning_the_same_case_at_once(office, counsellor, manager, no_queue):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    tomorrow = timezone.localdate() + dt.timedelta(days=2)

    def at(hour):
        return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(hour)))

    outcomes = at_the_same_moment(
        lambda: counselling.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=at(10)),
        lambda: counselling.plan_conversation(actor=manager, case_id=case.pk, planned_at=at(14), counsellor_id=manager.pk),
    )

    planned, _lost = one_winner(outcomes, DomainError)
    assert list(Conversation.objects.filter(case=case).values_list("pk", flat=True)) == [planned.pk]
    assert Case.objects.get(pk=case.pk).next_conversation_at == planned.planned_at


# --- a stale instance never overwrites (any database) ------------------------------------------

@pytest.mark.django_db
def test_saving_a_stale_case_raises_instead_of_overwriting(office, counsellor, manager):
    case = escalation_ready(office, counsellor)
    stale = Case.objects.get(pk=case.pk)

    services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="Closed meanwhile.")

    stale.escalate_to_forced_return(motivation="Refused twice.")  # memory only: still thinks it is in orientation
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Case.objects.get(pk=case.pk).state == State.CLOSED

    other = Case.objects.get(pk=case.pk)
    stale_again = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(state=State.ORIENTATION)  # changed by someone else
    other.held_conversations = 9
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        other.save(update_fields=["held_conversations"])
    assert stale_again.state == State.CLOSED
    assert Case.objects.get(pk=case.pk).held_conversations == 0


@pytest.mark.django_db
def test_a_service_that_read_a_stale_case_answers_conflict(office, counsellor, manager, monkeypatch):
    """Without the row lock (what a forgotten select_for_update would do), the stale save is a Conflict."""
    case = escalation_ready(office, counsellor)
    stale = Case.objects.select_related("person", "playbook").get(pk=case.pk)
    services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="Closed meanwhile.")
    events_before = CaseEvent.objects.filter(case=case).count()

    monkeypatch.setattr(transition_services, "access_case", lambda **kwargs: stale)
    with pytest.raises(Conflict) as conflict:
        services.lose_contact(actor=manager, case_id=case.pk)

    assert conflict.value.status == 409
    assert Case.objects.get(pk=case.pk).state == State.CLOSED
    assert CaseEvent.objects.filter(case=case).count() == events_before


@pytest.mark.django_db
def test_expected_state_catches_a_change_since_the_page_was_shown(office, counsellor, manager):
    case = escalation_ready(office, counsellor)
    services.agree_voluntary_return(actor=counsellor, case_id=case.pk)
    with pytest.raises(Conflict) as conflict:
        services.close_case(actor=manager, case_id=case.pk, reason="duplicate", note="x", expected_state=State.ORIENTATION)
    assert "Voluntary return" in conflict.value.message
    assert Case.objects.get(pk=case.pk).state == State.VOLUNTARY_RETURN


def test_the_case_names_the_same_state_fields_as_the_mixin():
    """Case.state_fields is found once (issue 15); it is what ConcurrentTransitionMixin would filter."""
    from django_fsm import ConcurrentTransitionMixin

    mixin = ConcurrentTransitionMixin.state_fields.fget(Case())  # type: ignore[attr-defined]
    assert Case().state_fields == tuple(mixin)
    assert [field.name for field in Case().state_fields] == ["state"]
