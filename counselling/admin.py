"""Admin: conversations (read mostly: services write them), message templates (editable),
outbound messages and sweep runs (read-only records, with one careful action)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.selectors import cases_visible_to
from counselling import messaging
from counselling.models import Conversation, MessageTemplate, OutboundMessage, SweepRun


def visible_only(request, queryset, case_path: str):
    """The admin is no back door: rows of cases the user may not see elsewhere are not listed."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{case_path}__in": cases_visible_to(request.user).values("pk")})


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("case", "planned_at", "status", "mode", "counsellor", "office", "is_intake", "interpreter_language", "overdue_flagged_at")
    list_filter = ("status", "mode", "is_intake", "office")
    date_hierarchy = "planned_at"
    search_fields = ("case__id", "counsellor__username", "counsellor__last_name")
    raw_id_fields = ("case", "counsellor", "office")

    def get_readonly_fields(self, request, obj=None):
        # Read-only: outcomes change the case's derived fields and its timeline, so only the
        # services write them (the counsellor's page, the API, the planner).
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request):
        return visible_only(request, super().get_queryset(request), "case")

    def has_add_permission(self, request):
        return False  # planned through the services (constraints, events, derived fields)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "language", "subject", "is_active", "updated_at")
    list_filter = ("kind", "channel", "language", "is_active")
    search_fields = ("subject", "body")
    fieldsets = (
        (None, {"fields": ("kind", "channel", "language", "is_active")}),
        (_("Text"), {
            "fields": ("subject", "body"),
            "description": _(
                "Placeholders: {name} {date} {time} {weekday} {place} {address} {mode} {counsellor} {office_phone} {interpreter}. "
                "The subject is not used for SMS."
            ),
        }),
    )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("conversation", "kind", "channel", "language", "to", "status", "claimed_at", "sent_at", "attempts")
    list_filter = ("status", "kind", "channel", "language")
    search_fields = ("to", "conversation__case__id")
    actions = ("release_for_retry",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request):
        return visible_only(request, super().get_queryset(request), "conversation__case")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Release for another attempt (only after checking it was not sent)"), permissions=["change"])
    def release_for_retry(self, request, queryset):
        count = messaging.release_for_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, ngettext("%(count)d message released.", "%(count)d messages released.", count) % {"count": count}, messages.SUCCESS
        )


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    list_display = ("name", "started_at", "finished_at", "counts", "has_error")
    list_filter = ("name",)
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, obj):
        return bool(obj.error)
