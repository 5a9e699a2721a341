"""The managers' operations view and the printable invitation letter."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.selectors import access_case
from counselling import delivery, messaging, overflow
from counselling.models import Conversation, MessageTemplate
from counselling.operations import selectors
from counselling.reach.languages import direction
from returnpath.errors import DomainError


@login_required
def index(request):
    if not selectors.may_see_operations(request.user):
        raise PermissionDenied
    now = timezone.now()
    stuck_cases = selectors.cases_without_planned_conversation(request.user, now)
    stuck_messages = selectors.stuck_messages(request.user, now)
    overdue = selectors.overdue_outcomes(request.user, now)
    letters = selectors.letters_to_print(request.user, now)
    limit = selectors.LIST_LIMIT
    return render(request, "operations/index.html", {
        "nav": "operations",
        "sweeps": selectors.sweep_statuses(),
        "stuck_cases": stuck_cases[:limit], "stuck_cases_count": stuck_cases.count(),
        "stuck_messages": stuck_messages[:limit], "stuck_messages_count": stuck_messages.count(),
        "overdue": overdue[:limit], "overdue_count": overdue.count(),
        "letters": letters[:limit], "letters_count": letters.count(),
        "stuck_after_minutes": settings.RETURNPATH_STUCK_AFTER_MINUTES,
        "capacity": overflow.planning_capacity(selectors.counselling_offices(request.user)),
    })


@login_required
@require_POST
def resolve_message(request, message_id: int):
    """The one action that settles an uncertain message: it left, or it did not (send again)."""
    left = request.POST.get("left")
    if left not in ("yes", "no"):
        messages.error(request, _("Say whether the message left or not."))
        return redirect("operations:index")
    try:
        delivery.resolve_uncertain(actor=request.user, message_id=message_id, left=left == "yes")
    except DomainError as error:
        if error.code == "not_found":
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked as sent.") if left == "yes" else _("It will be sent again by the next sweep."))
    return redirect("operations:index")


@login_required
def letter(request, conversation_id: int):
    case_id = Conversation.objects.filter(pk=conversation_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404
    case = access_case(actor=request.user, case_id=case_id, log_via="letter")
    conversation = (
        Conversation.objects.select_related("case__person", "case__office", "office", "counsellor")
        .filter(pk=conversation_id, case=case).get()
    )
    templates = messaging.active_templates()
    channel = MessageTemplate.Channel.LETTER
    if not templates.get((MessageTemplate.Kind.INVITATION, channel)):
        channel = MessageTemplate.Channel.EMAIL  # an installation without letter texts prints the e-mail's
    rendered = messaging.render(conversation=conversation, kind=MessageTemplate.Kind.INVITATION, channel=channel, templates=templates)
    template = templates.get((MessageTemplate.Kind.INVITATION, channel), {}).get(rendered.language) if rendered else None
    return render(request, "operations/letter.html", {
        "conversation": conversation, "case": case, "person": case.person,
        "office": conversation.office or case.office, "rendered": rendered,
        "direction": direction(rendered.language) if rendered else "ltr",
        "review_status": template.review_status if template else "",
    })
