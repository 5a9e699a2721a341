"""The languages the service writes to people in, their direction, and the fallback order."""

from __future__ import annotations

from collections.abc import Iterable

# Staff languages first (the fallback), then the languages of the people the service invites most.
PERSON_LANGUAGES: dict[str, str] = {
    "nl": "Nederlands", "fr": "Français", "en": "English", "ar": "العربية", "fa": "دری / فارسی",
    "ps": "پښتو", "ti": "ትግርኛ", "so": "Soomaali", "ru": "Русский", "sq": "Shqip", "ro": "Română",
    "es": "Español", "pt": "Português", "tr": "Türkçe", "ka": "ქართული",
}
FALLBACK_LANGUAGES = ("nl", "fr", "en")
RTL_LANGUAGES = frozenset({"ar", "fa", "ps"})
# Codes people's records may carry for the same written language.
ALIASES = {"prs": "fa", "fa-af": "fa", "pus": "ps", "ara": "ar", "tir": "ti", "som": "so"}


def normalise(code: str) -> str:
    code = (code or "").strip().lower()
    return ALIASES.get(code, code.split("-")[0] if code not in PERSON_LANGUAGES else code)


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def preference_order(person_languages: Iterable[str] | None, *extra: str) -> list[str]:
    """The person's languages in their order, then ``extra`` (e.g. the office's), then nl/fr/en."""
    order: list[str] = []
    for code in [*(person_languages or []), *extra, *FALLBACK_LANGUAGES]:
        code = normalise(code)
        if code and code not in order:
            order.append(code)
    return order


def best_language(person_languages: Iterable[str] | None, available: Iterable[str], *extra: str) -> str | None:
    """The first language in the person's order that ``available`` has: their own, their next, then nl/fr/en."""
    available = set(available)
    return next((code for code in preference_order(person_languages, *extra) if code in available), None)
