"""ISO 639-1 language codes (the two-letter ones; the list is closed and stable)."""

ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee
    el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io
    is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn
    mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
    sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo
    wa wo xh yi yo za zh zu
    """.split()  # noqa: SIM905 - readable as a table
)


def language_name(code: str) -> str:
    """The name of an ISO 639-1 language in the interface language (CLDR data via Babel)."""
    from babel import Locale, UnknownLocaleError
    from django.utils.text import capfirst
    from django.utils.translation import get_language

    try:
        name = Locale.parse(get_language() or "en").languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return capfirst(name) if name else code


def language_choices(first: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Every ISO 639-1 language by name in the interface language; ``first`` (the person's) on top."""
    ranked = [code for code in first if code in ISO_639_1]
    rest = sorted((code for code in ISO_639_1 if code not in ranked), key=lambda code: language_name(code).casefold())
    return [(code, f"{language_name(code)} ({code})") for code in [*ranked, *rest]]
