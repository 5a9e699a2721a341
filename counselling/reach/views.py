"""The person's page (no account: the signed link is the key) and the backends' delivery callbacks."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from counselling.messaging import message_values
from counselling.reach import delivery, links, ratelimit, services
from counselling.reach.languages import PERSON_LANGUAGES, direction
from counselling.reach.phrases import PHRASES, phrase


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never send it on as a referrer, never index the page.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def unavailable(request, status: int = 404) -> HttpResponse:
    """One neutral page for every link that does not open: forged, expired, revoked or past.

    Same status and same body whatever the reason, so guessing learns nothing; the sentence is
    written in every language because nothing about the person may be looked up.
    """
    key = "too_many" if status == 429 else "unavailable"
    sentences = [(code, direction(code), phrase(code, key)) for code in PERSON_LANGUAGES]
    return _private(render(request, "reach/unavailable.html", {"sentences": sentences}, status=status))


def _slot_choices(slots: list[dt.datetime]) -> list[tuple[str, dt.datetime]]:
    return [(slot.isoformat(), timezone.localtime(slot)) for slot in slots]


@never_cache
@require_http_methods(["GET", "POST"])
def person_page(request, token: str):
    if not ratelimit.allow(ratelimit.client_address(request)):
        return unavailable(request, status=429)
    link = links.resolve(token)
    if link is None:
        return unavailable(request)
    language = services.page_language(link, request.GET.get("lang", "") or request.POST.get("lang", ""))
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        choice = None
        if request.POST.get("choice"):
            try:
                choice = dt.datetime.fromisoformat(request.POST["choice"])
            except ValueError:
                return unavailable(request, status=400)
        try:
            recorded = services.record_person_answer(token=token, answer=answer, language=language, choice=choice)
        except services.AnswerRefused as refused:
            return unavailable(request, status=429 if refused.args == ("too many answers",) else 400)
        if recorded is None:
            return unavailable(request)
        return _private(redirect(f"{request.path}?lang={language}&done={answer}"))
    services.note_opened(link)
    conversation = link.conversation
    values = message_values(conversation, language)
    office = conversation.office or conversation.case.office
    texts = PHRASES[language]
    return _private(render(request, "reach/person_page.html", {
        "lang": language, "dir": direction(language), "t": texts, "values": values, "office": office,
        "conversation": conversation, "link": link,
        "slots": _slot_choices(services.free_slots(conversation)),
        "done": request.GET.get("done", ""),
        "languages": [(code, PERSON_LANGUAGES[code]) for code in services.language_choices(link)],
    }))


@csrf_exempt  # authenticated by the backend's HMAC signature, not by a browser session
@require_POST
def delivery_callback(request, backend: str):
    outcome = delivery.receive(backend=backend, body=request.body, signature=request.headers.get("X-ReturnPath-Signature", ""))
    if outcome.status == 200:
        return JsonResponse({"recorded": outcome.recorded})
    return JsonResponse({"detail": outcome.detail}, status=outcome.status)
