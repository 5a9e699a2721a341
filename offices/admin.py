"""Admin for the reference data of offices: offices and facilities, memberships, staff profiles."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from offices.models import ConsultationHours, Membership, Office, ServiceArea, StaffProfile

User = get_user_model()


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0
    fields = ("postcode_from", "postcode_to", "municipality")


class ConsultationHoursInline(admin.TabularInline):
    model = ConsultationHours
    extra = 0
    fields = ("weekday", "opens", "closes")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "is_active")
    raw_id_fields = ("user",)


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """Counselling offices and facilities share one table; facilities show their occupancy."""

    list_display = ("name", "code", "kind", "province", "municipality", "capacity", "occupancy", "restriction", "is_active")
    list_filter = ("kind", "province", "restriction", "is_active")
    search_fields = ("name", "code", "municipality", "postcode")
    ordering = ("kind", "name")
    readonly_fields = ("occupancy",)
    inlines = (ServiceAreaInline, ConsultationHoursInline, MembershipInline)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active")}),
        (_("Address"), {"fields": ("street", "postcode", "municipality", "province", "latitude", "longitude", "phone")}),
        (_("Service"), {"fields": ("languages", "walk_in", "public_transport")}),
        (_("Places"), {"fields": ("capacity", "restriction", "occupancy")}),
    )

    def get_queryset(self, request):
        # One COUNT per page, not one per row: the occupancy is annotated.
        return super().get_queryset(request).annotate(
            current_placements=Count("placements", filter=Q(placements__ended_on__isnull=True))
        )

    @admin.display(description=_("occupancy (open placements)"), ordering="current_placements")
    def occupancy(self, obj: Office):
        if obj.pk is None or not obj.is_facility:
            return "—"
        taken = getattr(obj, "current_placements", None)
        if taken is None:
            taken = obj.placements.filter(ended_on__isnull=True).count()
        return f"{taken} / {obj.capacity}" if obj.capacity is not None else str(taken)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "office", "role", "is_active")
    list_filter = ("role", "is_active", "office__kind", "office")
    search_fields = ("user__username", "user__first_name", "user__last_name", "office__name", "office__code")
    list_select_related = ("user", "office")
    raw_id_fields = ("user",)
    autocomplete_fields = ("office",)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "languages", "conversations_per_day")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    extra = 0
    fields = ("languages", "conversations_per_day")


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("office", "role", "is_active")
    autocomplete_fields = ("office",)


# The user page shows where a staff member works and which languages they speak.
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = (StaffProfileInline, UserMembershipInline)
    list_filter = (*UserAdmin.list_filter, "memberships__office")
