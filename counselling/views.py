"""The counsellor's pages: My day, and logging / planning conversations of a case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.returns import selectors as return_selectors
from cases.selectors import access_case
from counselling import selectors, services
from counselling.forms import CancelForm, LogConversationForm, Outcome, PlanConversationForm, RescheduleForm
from counselling.models import Conversation
from counselling.scheduling import propose_next_conversation
from returnpath.errors import Conflict, DomainError


@login_required
def my_day(request):
    return render(request, "counselling/my_day.html", {
        "day": selectors.my_day(request.user), "nav": "my_day",
        "return_timers": return_selectors.timers_for_counsellor(request.user),  # the return itself (cases.returns)
    })


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _case_url(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _proposal_initial(case, *, after_held: bool) -> dict:
    """The next conversation to propose: after the one being logged as held (cadence from now), or,
    on the plan page, simply the case's next one (its intake when nothing was held yet)."""
    proposal = propose_next_conversation(case=case, after=timezone.now() if after_held else None)
    if proposal is None:
        return {}
    return {
        "next_planned_at": timezone.localtime(proposal.planned_at).replace(tzinfo=None),
        "next_mode": proposal.mode,
        "next_office": proposal.office_id,
        "next_counsellor": proposal.counsellor_id,
        "next_interpreter_language": proposal.interpreter_language,
    }


def _planned_of(case) -> Conversation | None:
    return case.conversations.filter(status=Conversation.Status.PLANNED).select_related("office", "counsellor").first()


@login_required
@require_http_methods(["GET", "POST"])
def log_conversation(request, case_id: int, conversation_id: int | None = None):
    """Log a planned conversation (held or no-show) or a walk-in, and plan the next one in the same step."""
    case = access_case(actor=request.user, case_id=case_id, log_via="web")
    conversation = None
    if conversation_id is not None:
        conversation = case.conversations.filter(pk=conversation_id).select_related("office").first()
        if conversation is None or not conversation.is_planned:
            messages.info(request, _("This conversation already has an outcome."))
            return redirect(_case_url(case))
    walk_in = conversation is None
    # A walk-in leaves the conversation already planned alone unless the counsellor moves it.
    already_planned = _planned_of(case) if walk_in else None
    domain_error = None
    if request.method == "POST":
        form = LogConversationForm(request.POST, walk_in=walk_in)
        form.setup_choices(case, request.user)
        if form.is_valid():
            try:
                next_conversation = services.log_conversation_and_plan_next(
                    actor=request.user, case_id=case.pk, conversation_id=conversation.pk if conversation else None,
                    no_show=form.cleaned_data["outcome"] == Outcome.NO_SHOW, held_at=form.cleaned_data.get("held_at"),
                    outcome=form.held_kwargs() if form.cleaned_data["outcome"] != Outcome.NO_SHOW else {"notes": form.cleaned_data["notes"]},
                    next_conversation=form.next_conversation() if form.cleaned_data["plan_next"] else None,
                )
            except DomainError as error:
                domain_error = error
            else:
                if next_conversation is not None:
                    messages.success(
                        request,
                        _("The conversation is logged. The next one is planned on %(when)s.")
                        % {"when": _when(next_conversation.planned_at)},
                    )
                else:
                    messages.success(request, _("The conversation is logged."))
                return redirect(_case_url(case))
    else:
        initial = {
            "outcome": Outcome.HELD,
            "mode": conversation.mode if conversation else Conversation.Mode.OFFICE,
            "interpreter_used": bool(conversation and conversation.interpreter_language),
            "plan_next": already_planned is None,
            "held_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None),
            **_proposal_initial(case, after_held=True),
        }
        form = LogConversationForm(initial=initial, walk_in=walk_in)
        form.setup_choices(case, request.user)
    status = 409 if isinstance(domain_error, Conflict) else (400 if request.method == "POST" else 200)
    return render(
        request, "counselling/log_conversation.html",
        {"case": case, "conversation": conversation, "form": form, "domain_error": domain_error, "walk_in": walk_in,
         "already_planned": already_planned},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_conversation(request, case_id: int):
    case = access_case(actor=request.user, case_id=case_id, log_via="web")
    planned = _planned_of(case)
    if planned is not None:
        messages.info(request, _("A conversation is already planned for this case: reschedule or cancel it instead."))
        return redirect(_case_url(case))
    domain_error = None
    if request.method == "POST":
        form = PlanConversationForm(request.POST)
        form.setup_choices(case, request.user)
        if form.is_valid():
            try:
                conversation = services.plan_conversation(actor=request.user, case_id=case.pk, **form.next_conversation())
            except DomainError as error:
                domain_error = error
            else:
                messages.success(
                    request, _("The conversation is planned on %(when)s.")
                    % {"when": _when(conversation.planned_at)},
                )
                return redirect(_case_url(case))
    else:
        form = PlanConversationForm(initial=_proposal_initial(case, after_held=False))
        form.setup_choices(case, request.user)
    return render(
        request, "counselling/plan_conversation.html",
        {"case": case, "form": form, "domain_error": domain_error},
        status=400 if request.method == "POST" else 200,
    )


def _planned_conversation(request, case_id: int, conversation_id: int):
    """The case (visibility-checked) and its planned conversation, or None with a message."""
    case = access_case(actor=request.user, case_id=case_id, log_via="web")
    conversation = case.conversations.filter(pk=conversation_id, status=Conversation.Status.PLANNED).select_related("office").first()
    if conversation is None:
        messages.info(request, _("This conversation is no longer planned."))
    return case, conversation


@login_required
@require_http_methods(["GET", "POST"])
def reschedule_conversation(request, case_id: int, conversation_id: int):
    case, conversation = _planned_conversation(request, case_id, conversation_id)
    if conversation is None:
        return redirect(_case_url(case))
    domain_error = None
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        form.setup_choices(case, request.user)
        if form.is_valid():
            chosen = form.next_conversation()
            try:
                moved = services.reschedule_conversation(
                    actor=request.user, case_id=case.pk, conversation_id=conversation.pk, planned_at=chosen["planned_at"],
                    reason=form.cleaned_data["reason"], counsellor_id=chosen["counsellor_id"], office_id=chosen["office_id"],
                    mode=chosen["mode"],
                )
            except DomainError as error:
                domain_error = error
            else:
                messages.success(
                    request, _("The conversation is moved to %(when)s.")
                    % {"when": _when(moved.planned_at)},
                )
                return redirect(_case_url(case))
    else:
        form = RescheduleForm(initial={
            "next_planned_at": timezone.localtime(conversation.planned_at).replace(tzinfo=None),
            "next_mode": conversation.mode, "next_office": conversation.office_id, "next_counsellor": conversation.counsellor_id,
        })
        form.setup_choices(case, request.user)
    del form.fields["next_interpreter_language"]
    return render(
        request, "counselling/reschedule_conversation.html",
        {"case": case, "conversation": conversation, "form": form, "domain_error": domain_error},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel_conversation(request, case_id: int, conversation_id: int):
    case, conversation = _planned_conversation(request, case_id, conversation_id)
    if conversation is None:
        return redirect(_case_url(case))
    domain_error = None
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_conversation(actor=request.user, case_id=case.pk, conversation_id=conversation.pk, reason=form.cleaned_data["reason"])
        except DomainError as error:
            domain_error = error
        else:
            messages.success(request, _("The conversation is cancelled. Remember to plan the next one."))
            return redirect(_case_url(case))
    return render(
        request, "counselling/cancel_conversation.html",
        {"case": case, "conversation": conversation, "form": form, "domain_error": domain_error},
        status=400 if request.method == "POST" else 200,
    )
