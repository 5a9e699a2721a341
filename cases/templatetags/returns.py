"""Template tags of the return work: the flags that travel with the case on every page of it."""

from django import template

from cases.returns.selectors import active_referral, current_unfit_opinion, vulnerability_of

register = template.Library()


@register.inclusion_tag("cases/returns/flags.html")
def return_flags(case):
    """Vulnerabilities, an unfit-to-travel opinion in force and the referral's stage (three small
    queries; none on the case page, which preloads them: decision 071)."""
    vulnerability = vulnerability_of(case)
    return {
        "labels": vulnerability.labels() if vulnerability else [],
        "unfit": current_unfit_opinion(case),
        "referral": active_referral(case),
    }
