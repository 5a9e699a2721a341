"""Template tags of the return work: the flags that travel with the case on every page of it."""

from django import template

from cases.returns.care import FitnessOpinion, Vulnerability
from cases.returns.models import ACTIVE_REFERRAL_STAGES, Referral

register = template.Library()


@register.inclusion_tag("cases/returns/flags.html")
def return_flags(case):
    """Vulnerabilities, an unfit-to-travel opinion in force and the referral's stage (three small queries)."""
    vulnerability = Vulnerability.objects.filter(case_id=case.pk).first()
    return {
        "labels": vulnerability.labels() if vulnerability else [],
        "unfit": FitnessOpinion.objects.filter(case_id=case.pk, lifted_on__isnull=True).first(),
        "referral": Referral.objects.filter(case_id=case.pk, stage__in=ACTIVE_REFERRAL_STAGES).first(),
    }
