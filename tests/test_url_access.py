"""Every URL pattern has an access rule (decision 028), and anonymous callers get what it says."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from returnpath import access_rules as rules

CONVERTER_VALUES = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "00000000-0000-4000-8000-000000000000"}


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), (namespace + pattern.name) if pattern.name else None


PATTERNS = list(walk(get_resolver().url_patterns))


def test_every_url_pattern_is_classified():
    missing = [(route, name) for route, name in PATTERNS if rules.rule_for(route, name) is None]
    assert not missing, "URL patterns without an access rule — add to URL_ACCESS in returnpath/access_rules.py:\n" + "\n".join(
        f'    "{name or route}": (<ANONYMOUS|SIGNED_IN|STAFF|ROLE|API|DOCS>, "<who, in words>"),  # {route}'
        for route, name in missing
    )


def test_the_table_names_no_pattern_that_does_not_exist():
    known = {name for _route, name in PATTERNS} | {route for route, _name in PATTERNS}
    assert set(rules.URL_ACCESS) - known - {"^static/(?P<path>.*)$"} == set()


def _url(route: str, name: str | None) -> str | None:
    if name is None or route.startswith("^"):
        return None
    kwargs = {key: CONVERTER_VALUES[conv] for conv, key in re.findall(r"<(\w+):(\w+)>", route)}
    return reverse(name, kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), [p for p in PATTERNS if not p[0].startswith("admin/") and _url(*p)])
def test_anonymous_callers_get_what_the_rule_says(route, name, settings):
    settings.RETURNPATH_API_DOCS_REQUIRE_LOGIN = True
    kind, _who = rules.rule_for(route, name)
    url = _url(route, name)
    method = "post" if name in {"logout", "set_language"} else "get"
    response = getattr(Client(), method)(url)
    # /readyz answers 503 by design while beat and workers have not reported (tests/test_observability.py).
    assert response.status_code < 500 or (name == "readyz" and response.status_code == 503), url
    to_login = response.status_code == 302 and response["Location"].startswith(reverse("login"))
    if kind in (rules.SIGNED_IN, rules.STAFF, rules.ROLE, rules.DOCS):
        assert to_login, (url, response.status_code)
    elif kind == rules.API:
        assert response.status_code == 401, (url, response.status_code)
    else:
        assert not to_login, url
