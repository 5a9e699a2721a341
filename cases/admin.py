"""Admin: playbooks and API clients are reference data; cases and people are read here, never written.

A case changes only through the services (the trajectory, conversations, procedures), which
check the guards and append the case event. The admin therefore shows cases, their orders,
procedures, placements and events read-only; the state field is protected by django-fsm too.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cases.access_log import record_access
from cases.api.models import ApiClient
from cases.models import (
    Case,
    CaseAccess,
    CaseEvent,
    DepartureTermDecision,
    DetentionDecision,
    DetentionPeriod,
    LegalProcedure,
    OrderToLeave,
    Person,
    Placement,
    Playbook,
)
from cases.selectors import cases_visible_to
from returnpath import roles

User = get_user_model()


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = (
        "target_group",
        "intake_within_working_days",
        "cadence_days",
        "final_week_cadence_days",
        "min_conversations_before_escalation",
        "no_shows_before_lose_contact",
        "reminder_lead_hours",
        "home_visit_preferred",
    )
    fieldsets = (
        (None, {"fields": ("target_group",)}),
        (_("Planning"), {"fields": ("intake_within_working_days", "cadence_days", "cadence_by_state", "final_week_cadence_days",
                                    "conversation_minutes", "home_visit_preferred", "reminder_lead_hours")}),
        (_("Escalation and contact"), {"fields": ("min_conversations_before_escalation", "no_shows_before_lose_contact")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Cases point at their playbook; a target group without one falls back to hard defaults.
        return False


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ApiClient.Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    user = forms.ModelChoiceField(
        label=_("service user"),
        queryset=User.objects.filter(is_staff=False, is_superuser=False),
        required=False,
        help_text=_("Leave empty to create a service user for this client (its tokens belong to that user)."),
    )

    class Meta:
        model = ApiClient
        fields = ("name", "user", "scopes", "issuing_region", "throttle_rate", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["user"].disabled = True
            self.fields["user"].required = False

    def clean_scopes(self):
        return sorted(self.cleaned_data["scopes"])


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "scope_list", "issuing_region", "throttle_rate", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "user__username")
    list_select_related = ("user",)

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change and not obj.user_id:
            username = f"api-{slugify(obj.name)}"[:150]
            user, _created = User.objects.get_or_create(username=username, defaults={"first_name": obj.name[:150]})
            user.set_unusable_password()
            user.save()
            group = Group.objects.filter(name=roles.API_CLIENT).first()
            if group is not None:
                user.groups.add(group)
            obj.user = user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Orders and procedures keep pointing at the client that sent them: deactivate instead.
        return False


class ReadOnly:
    """Look, never touch: these rows change only through the services (events, guards, history)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class OrderInline(ReadOnlyInline):
    model = OrderToLeave
    fields = ("external_reference", "client", "issued_on", "notified_on", "departure_term_days", "term_reason",
              "departure_deadline", "entry_ban_years", "legal_basis", "received_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client")


class ProcedureInline(ReadOnlyInline):
    model = LegalProcedure
    fields = ("kind", "reference", "lodged_on", "suspensive", "status", "decided_on", "client")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client")


class PlacementInline(ReadOnlyInline):
    model = Placement
    fields = ("facility", "started_on", "ended_on", "detention_period")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility")


class DetentionPeriodInline(ReadOnlyInline):
    model = DetentionPeriod
    fields = ("started_on", "ended_on", "limit")
    readonly_fields = fields


class DetentionDecisionInline(ReadOnlyInline):
    model = DetentionDecision
    fields = ("kind", "status", "facility", "starts_on", "extend_to", "ground", "decided_on", "decided_by", "confirmed_by",
              "confirmed_at", "motivation", "refusal_reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility", "decided_by", "confirmed_by")


class TermDecisionInline(ReadOnlyInline):
    model = DepartureTermDecision
    fields = ("kind", "ground", "decided_on", "days", "previous_deadline", "new_deadline", "reference", "motivation")
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    """The timeline, oldest first; events are append-only (the model refuses edits and deletes)."""

    model = CaseEvent
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor_label", "note", "data")
    readonly_fields = fields
    ordering = ("at", "id")


@admin.register(Case)
class CaseAdmin(ReadOnly, SimpleHistoryAdmin):
    """Read-only: a case changes through the services (guards, events), never through a form."""

    list_display = ("__str__", "person", "state", "target_group", "office", "counsellor", "departure_deadline",
                    "next_conversation_at", "opened_at")
    list_filter = ("state", "target_group", "office", "public_order", "unaccompanied_minor")
    search_fields = ("=id", "person__family_name", "person__given_names", "=person__national_number",
                     "=person__dossier_number", "=orders__external_reference")
    list_select_related = ("person", "office", "counsellor")
    show_full_result_count = False
    ordering = ("-opened_at", "-id")
    inlines = (OrderInline, ProcedureInline, PlacementInline, DetentionPeriodInline, DetentionDecisionInline,
               TermDecisionInline, EventInline)
    fieldsets = (
        (None, {"fields": ("person_link", "state", "state_entered_at", "target_group", "playbook", "office", "counsellor")}),
        (_("Flags and household"), {"fields": ("public_order", "nuisance", "vulnerable", "minor_children",
                                               "unaccompanied_minor", "best_interest_outcome", "guardian_name",
                                               "guardian_contact", "guardian_appointed_on", "guardian_agreed_return_on",
                                               "came_of_age_on")}),
        (_("Legal clock"), {"fields": ("departure_deadline", "pending_procedures", "pending_suspensive_procedures",
                                       "granted_procedures", "granted_routes_to_stay", "removal_barred",
                                       "early_escalation_ground")}),
        (_("Counselling"), {"fields": ("held_conversations", "voluntary_return_refusals", "consecutive_no_shows",
                                       "last_contact_at", "next_conversation_at", "planning_retry_at", "voluntary_return_agreed_at",
                                       "escalation_proposed_at", "escalation_motivation", "lose_contact_proposed_at")}),
        (_("Outcome"), {"fields": ("departed_on", "departure_evidence", "destination_country", "removal_planned_on",
                                   "removed_on", "close_reason", "close_note", "outcome_at")}),
        (None, {"fields": ("opened_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        _log_admin_read(request, response, Case.objects.filter(pk=object_id if str(object_id).isdigit() else None))
        return response

    @admin.display(description=_("person"))
    def person_link(self, obj: Case):
        url = reverse("admin:cases_person_change", args=[obj.person_id])
        return format_html('<a href="{}">{}</a>', url, obj.person)

    def get_queryset(self, request):
        # The admin is no back door: the same visibility rule as everywhere (superusers see all).
        cases = super().get_queryset(request).select_related("person", "office", "counsellor", "playbook")
        return cases if request.user.is_superuser else cases.filter(pk__in=cases_visible_to(request.user).values("pk"))


class PersonCaseInline(ReadOnlyInline):
    model = Case
    fields = ("case_link", "state", "target_group", "office", "opened_at")
    readonly_fields = fields

    @admin.display(description=_("case"))
    def case_link(self, obj: Case):
        return format_html('<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[obj.pk]), obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("office")


@admin.register(Person)
class PersonAdmin(ReadOnly, SimpleHistoryAdmin):
    """Read-only: an address change goes through ``update_address`` so the case keeps its history."""

    list_display = ("__str__", "birth_date", "sex", "nationality", "national_number", "dossier_number", "postcode", "municipality")
    list_filter = ("sex", "nationality")
    search_fields = ("family_name", "given_names", "=national_number", "=dossier_number")
    show_full_result_count = False
    inlines = (PersonCaseInline,)

    def get_queryset(self, request):
        people = super().get_queryset(request)
        if request.user.is_superuser:
            return people
        return people.filter(pk__in=cases_visible_to(request.user).values("person_id"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Person._meta.fields if f.name != "id"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        _log_admin_read(request, response, Case.objects.filter(person_id=object_id if str(object_id).isdigit() else None))
        return response


def _log_admin_read(request, response, cases) -> None:
    """Admin case and person pages are reads of personal data like any other (decision 022)."""
    if response.status_code == 200:
        record_access(actor=request.user, via="admin", cases=list(cases.values_list("pk", flat=True)),
                      detail={"path": request.path})
    else:
        record_access(actor=request.user, via="admin", result=CaseAccess.Result.NOT_FOUND, detail={"path": request.path})
