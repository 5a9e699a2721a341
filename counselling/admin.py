"""Admin: conversations (read mostly: services write them), message templates (editable),
outbound messages and sweep runs (read-only records, with one careful action)."""

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.selectors import cases_visible_to
from counselling import messaging
from counselling.models import Conversation, DeliveryReport, InvitationLink, MessageTemplate, OutboundMessage, SweepRun


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
    list_display = ("kind", "channel", "language", "review_badge", "subject", "is_active", "updated_at")
    list_filter = ("review_status", "kind", "channel", "language", "is_active")
    search_fields = ("subject", "body")
    fieldsets = (
        (None, {"fields": ("kind", "channel", "language", "is_active")}),
        (_("Translation review"), {
            "fields": ("review_status", "reviewed_by", "reviewed_on"),
            "description": _("A text not yet reviewed by a translator is sent as it is: have it checked, then record who did."),
        }),
        (_("Text"), {
            "fields": ("subject", "body"),
            "description": _(
                "Placeholders: {name} {date} {time} {weekday} {place} {address} {mode} {counsellor} {office_phone} {interpreter} "
                "{transport} {link}. The subject is not used for SMS."
            ),
        }),
    )

    @admin.display(description=_("review status"), ordering="review_status")
    def review_badge(self, obj):
        if obj.review_status == MessageTemplate.Review.UNREVIEWED:
            return format_html("<strong>⚠ {}</strong>", obj.get_review_status_display())
        return obj.get_review_status_display()


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("conversation", "kind", "channel", "language", "to", "status", "delivery", "claimed_at", "sent_at", "attempts")
    list_filter = ("status", "kind", "channel", "language", "delivery_reports__status")
    search_fields = ("to", "conversation__case__id")
    actions = ("release_for_retry",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request):
        latest = DeliveryReport.objects.filter(message=OuterRef("pk")).order_by("-reported_at", "-id").values("status")[:1]
        queryset = super().get_queryset(request).annotate(delivery_status=Subquery(latest))
        return visible_only(request, queryset, "conversation__case")

    @admin.display(description=_("delivery (backend's report)"), ordering="delivery_status")
    def delivery(self, obj):
        status = getattr(obj, "delivery_status", None)
        return DeliveryReport.Status(status).label if status else "—"

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


@admin.register(DeliveryReport)
class DeliveryReportAdmin(admin.ModelAdmin):
    list_display = ("message", "backend", "status", "reported_at", "received_at", "provider_reference")
    list_filter = ("status", "backend")
    date_hierarchy = "reported_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request):
        return visible_only(request, super().get_queryset(request), "message__conversation__case")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvitationLink)
class InvitationLinkAdmin(admin.ModelAdmin):
    list_display = ("conversation", "created_at", "first_opened_at", "confirmed_at", "other_time_requested_at", "interpreter_requested_at", "revoked_at")
    actions = ("revoke",)
    exclude = ("nonce",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "nonce"]

    def get_queryset(self, request):
        return visible_only(request, super().get_queryset(request), "conversation__case")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the links sent (every earlier link stops working)"), permissions=["change"])
    def revoke(self, request, queryset):
        from counselling.reach.services import revoke_link

        count = sum(revoke_link(actor=request.user, conversation_id=pk) for pk in queryset.values_list("conversation_id", flat=True))
        self.message_user(request, ngettext("%(count)d link revoked.", "%(count)d links revoked.", count) % {"count": count}, messages.SUCCESS)
