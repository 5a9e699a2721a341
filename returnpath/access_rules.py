"""Who may use each URL: the one table (decision 028). ``tests/test_url_access.py`` walks the URL
resolver and fails for any pattern not classified here, and checks the anonymous answer of each.

Keys are URL names (``namespace:name``) or, for unnamed patterns, the route as the resolver
prints it; ``PREFIXES`` covers whole included URL sets (the Django admin).
"""

from __future__ import annotations

# Kinds of rule. The second element of a rule says who, in words the probe and reviewers can check.
ANONYMOUS = "anonymous"            # anyone; holds no personal data
SIGNED_IN = "signed_in"            # any signed-in user (sign-in steps, sign-out)
STAFF = "staff"                    # signed-in staff; objects scoped by cases_visible_to / access_case (404 otherwise)
ROLE = "role"                      # signed-in staff with a permission (403 otherwise), objects scoped as STAFF
API = "api"                        # knox token of an active API client with the scope(s); cases scoped to its orders
DOCS = "docs"                      # anonymous in development; signed-in staff when RETURNPATH_API_DOCS_REQUIRE_LOGIN
TOKEN = "token"  # noqa: S105 - a kind of rule, not a secret; a bearer token from a setting (monitoring); 404 when the setting is empty
ADMIN = "admin"                    # Django admin: is_staff + model permissions; case/person querysets scoped

_COUNSEL = (STAFF, "counsellors and managers with cases.counsel_case on a case of their office")
_MANAGERS = (ROLE, "office managers (cases.reassign_case) and coordinators (cases.view_all_cases)")
_COORDINATORS = (ROLE, "coordinators (cases.view_all_cases)")

URL_ACCESS: dict[str, tuple[str, str]] = {
    # sign-in
    "set_language": (ANONYMOUS, "anyone (language cookie)"),
    "login": (ANONYMOUS, "anyone; failure limits per account, per address and per both"),
    "logout": (SIGNED_IN, "POST only"),
    "accounts:verify": (SIGNED_IN, "the user's own second factor"),
    "accounts:enrol": (SIGNED_IN, "the user's own second factor; not without the existing one"),
    # API
    "api-schema": (DOCS, "schema"),
    "api-docs": (DOCS, "Swagger UI"),
    "api-redoc": (DOCS, "Redoc"),
    "api-problem-type": (ANONYMOUS, "problem type descriptions"),
    "^api/": (ANONYMOUS, "problem+json 404 for unknown API paths"),
    "api-orders": (API, "orders:write"),
    "api-orders-batch": (API, "orders:write"),
    "api-cases": (API, "cases:read or cases:read_all"),
    "api-case": (API, "cases:read (own orders' cases) or cases:read_all"),
    "api-case-procedures": (API, "procedures:write on a case it may see"),
    "api-case-departure": (API, "departures:write on a case it may see"),
    # counsellors' pages
    "counselling:my_day": (STAFF, "any staff member; their own conversations and cases"),
    "counselling:log_walk_in": _COUNSEL,
    "counselling:plan": _COUNSEL,
    "counselling:log": _COUNSEL,
    "counselling:reschedule": _COUNSEL,
    "counselling:cancel": _COUNSEL,
    "cases:caseload": (STAFF, "cases visible to the user"),
    "cases:detail": (STAFF, "a case visible to the user"),
    "cases:timeline": (STAFF, "a case visible to the user"),
    "cases:step": (STAFF, "the step's permission (guards) on a visible case"),
    "cases:propose_escalation": _COUNSEL,
    "cases:decline_proposal": (STAFF, "managers (cases.escalate_case / cases.decide_case) on a visible case"),
    "cases:record_procedure": (STAFF, "cases.record_legal_event on a visible case"),
    "cases:decide_procedure": (STAFF, "cases.record_legal_event on a visible case"),
    "cases:place": (STAFF, "managers (cases.place_case) on a visible case"),
    "cases:end_placement": (STAFF, "managers (cases.place_case) on a visible case"),
    "cases:update_address": _COUNSEL,
    "cases:best_interest": (STAFF, "managers (cases.decide_case) on a visible case"),
    # data protection
    "cases:access_log": _MANAGERS,
    "cases:history": _MANAGERS,
    "cases:person_access_export": _COORDINATORS,
    "cases:subject_access": _COORDINATORS,
    "cases:duplicates": _MANAGERS,
    "cases:merge_duplicate": _MANAGERS,
    "cases:dismiss_duplicate": _MANAGERS,
    # the law's decisions (issue 9)
    "api-case-term-extensions": (API, "procedures:write on a case it may see"),
    "api-case-term-shortenings": (API, "procedures:write on a case it may see"),
    "cases:term_decision": (STAFF, "office managers (cases.decide_departure_term) on a visible case"),
    "cases:extend_detention": (STAFF, "office managers (cases.decide_detention) on a visible case"),
    "cases:confirm_detention": (STAFF, "a second office manager (cases.confirm_detention) on a visible case"),
    "cases:refuse_detention": (STAFF, "a second office manager (cases.confirm_detention) on a visible case"),
    "cases:guardian": _COUNSEL,
    "cases:guardian_agreement": _COUNSEL,
    "cases:review_coming_of_age": _COUNSEL,
    "cases:pending_detention": (ROLE, "office managers (cases.confirm_detention), the decisions of their offices"),
    # the return itself (cases.returns)
    "api-travel-documents": (API, "identification:write (the identification unit works on any case)"),
    "api-travel-document": (API, "identification:write"),
    "api-consular-requests": (API, "identification:write (the identification unit works on any case)"),
    "api-consular-request": (API, "identification:write"),
    "api-referrals": (API, "returns:partner; only the referrals made to that partner"),
    "api-referral": (API, "returns:partner; only a referral made to that partner"),
    "api-referral-stages": (API, "returns:partner on its own referral"),
    "api-referral-support": (API, "returns:partner on its own referral"),
    "api-referral-support-line": (API, "returns:partner on its own referral"),
    "api-referral-follow-ups": (API, "returns:partner on its own referral"),
    "cases:travel_document": _COUNSEL,
    "cases:consular_request": _COUNSEL,
    "cases:consular_update": _COUNSEL,
    "cases:refer": _COUNSEL,
    "cases:cancel_referral": _COUNSEL,
    "cases:vulnerability": _COUNSEL,
    "cases:unfit": _COUNSEL,
    "cases:lift_unfit": _COUNSEL,
    "cases:plan_removal": (STAFF, "managers (cases.place_case) on a visible case"),
    "cases:removal_outcome": (STAFF, "managers (cases.place_case) on a visible case"),
    "cases:upload_document": _COUNSEL,
    "cases:download_document": (STAFF, "a case visible to the user; every download logged"),
    "cases:returns_overdue": (ROLE, "office managers (cases.escalate_case, their offices) and coordinators (cases.view_all_cases)"),
    "cases:returns_figures": (ROLE, "office managers (cases.escalate_case, their offices) and coordinators (cases.view_all_cases)"),
    # steering
    "dashboards:office": _MANAGERS,
    "dashboards:national": _COORDINATORS,
    "dashboards:conversations": _MANAGERS,
    "dashboards:export_cases": (STAFF, "cases visible to the user"),
    "dashboards:export": _MANAGERS,
    "operations:index": (ROLE, "managers, coordinators, superusers"),
    "operations:letter": (STAFF, "a conversation of a case visible to the user"),
    "operations:resolve_message": (ROLE, "managers, coordinators, superusers; a message of a case visible to the user"),
    # running the service (issue 13): no personal data in any of these answers
    "healthz": (ANONYMOUS, "process liveness, no data"),
    "readyz": (ANONYMOUS, "names the failing dependency, no data"),
    "metrics": (TOKEN, "Prometheus, bearer RETURNPATH_METRICS_TOKEN"),
    "api-orders-batch-status": (API, "orders:write; only the client's own batch"),
    "^static/(?P<path>.*)$": (ANONYMOUS, "static files (development only)"),
}

PREFIXES: dict[str, tuple[str, str]] = {
    "admin/": (ADMIN, "is_staff + model permissions; second factor when required"),
}


def rule_for(route: str, name: str | None) -> tuple[str, str] | None:
    if name and name in URL_ACCESS:
        return URL_ACCESS[name]
    if route in URL_ACCESS:
        return URL_ACCESS[route]
    for prefix, rule in PREFIXES.items():
        if route.startswith(prefix):
            return rule
    return None
