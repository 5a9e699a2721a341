"""Retention of the return data: called by the pseudonymisation of an expired person's cases."""

from __future__ import annotations

from cases.models import Case
from cases.returns.care import FitnessOpinion, RemovalOperation, Vulnerability
from cases.returns.models import ConsularRequest, FollowUpContact, Referral, TravelDocument
from cases.returns.services.documents import remove_documents_of


def pseudonymise_return_data(case: Case) -> None:
    """Files go; numbers and free text that identify or describe the person go; the dates,
    kinds, countries and outcomes stay for the figures."""
    remove_documents_of(case)
    TravelDocument.objects.filter(case=case).update(number="", kept_at="")
    ConsularRequest.objects.filter(case=case).update(reference="", document_number="")
    Referral.objects.filter(case=case).update(
        travellers_note="", medical_needs="", reintegration_wishes="", destination_place="", cancel_reason=""
    )
    FollowUpContact.objects.filter(referral__case=case).update(note="")
    Vulnerability.objects.filter(case=case).update(note="")
    FitnessOpinion.objects.filter(case=case).update(physician="", note="", lifted_note="")
    RemovalOperation.objects.filter(case=case).update(outcome_note="")
