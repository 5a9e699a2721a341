"""Every write of the return work. Keyword-only, atomic, the acting user passed in (STYLE.md)."""

from cases.returns.services.care import (
    lift_unfit_to_travel,
    plan_removal,
    record_removal_outcome,
    record_unfit_to_travel,
    removal_refusals,
    update_vulnerability,
)
from cases.returns.services.documents import open_document, upload_document
from cases.returns.services.identification import (
    record_consular_request,
    record_travel_document,
    update_consular_request,
    update_travel_document,
)
from cases.returns.services.referrals import (
    record_follow_up_contact,
    record_reintegration_support,
    refer_to_partner,
    report_referral_stage,
)

__all__ = [
    "lift_unfit_to_travel",
    "open_document",
    "plan_removal",
    "record_consular_request",
    "record_follow_up_contact",
    "record_reintegration_support",
    "record_removal_outcome",
    "record_travel_document",
    "record_unfit_to_travel",
    "refer_to_partner",
    "removal_refusals",
    "report_referral_stage",
    "update_consular_request",
    "update_travel_document",
    "update_vulnerability",
    "upload_document",
]
