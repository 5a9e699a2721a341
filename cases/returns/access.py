"""Who may reach a case for the return work: staff through the visibility gate, the
identification unit for any case (only through its own endpoints), a partner only through the
referrals made to it."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from cases.api.models import ApiClient
from cases.models import Case
from cases.selectors import access_case
from returnpath.actors import Actor, User
from returnpath.errors import DomainError


def api_client_of(actor: Actor) -> ApiClient | None:
    return getattr(actor, "api_client", None) if actor is not None and hasattr(actor, "api_client") else None


def forbidden(message) -> DomainError:
    return DomainError(message, code="forbidden")


def require_perm(actor: User, perm: str, message) -> None:
    if not (actor and actor.is_active and actor.has_perm(perm)):
        raise forbidden(message)


def access_for_identification(*, actor: User, case_id: int, for_update: bool = False) -> Case:
    """The identification unit works on any case; staff on the cases they may counsel."""
    client = api_client_of(actor)
    if client is None:
        case = access_case(actor=actor, case_id=case_id, for_update=for_update)
        require_perm(actor, "cases.counsel_case", _("Only a counsellor or office manager may record travel documents."))
        return case
    if not client.has_scope(ApiClient.Scope.IDENTIFICATION_WRITE):
        raise forbidden(_("This needs the scope identification:write."))
    queryset = Case.objects.select_related("person")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No such case.") from None


def access_for_counselling(*, actor: User, case_id: int, for_update: bool = False, perm: str = "cases.counsel_case") -> Case:
    case = access_case(actor=actor, case_id=case_id, for_update=for_update)
    require_perm(actor, perm, _("Only a counsellor or office manager may take this step."))
    return case
