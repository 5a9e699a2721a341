"""Offices, facilities, the postcodes they serve, their hours, and who works where."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Province(models.TextChoices):
    BRUSSELS = "brussels", _("Brussels-Capital")
    WALLOON_BRABANT = "walloon_brabant", _("Walloon Brabant")
    FLEMISH_BRABANT = "flemish_brabant", _("Flemish Brabant")
    ANTWERP = "antwerp", _("Antwerp")
    LIMBURG = "limburg", _("Limburg")
    LIEGE = "liege", _("Liège")
    NAMUR = "namur", _("Namur")
    HAINAUT = "hainaut", _("Hainaut")
    LUXEMBOURG = "luxembourg", _("Luxembourg")
    WEST_FLANDERS = "west_flanders", _("West Flanders")
    EAST_FLANDERS = "east_flanders", _("East Flanders")


class OfficeKind(models.TextChoices):
    REGIONAL_OFFICE = "regional_office", _("Regional counselling office")
    RETURN_DESK = "return_desk", _("Return desk")
    CLOSED_CENTRE = "closed_centre", _("Closed centre")
    RETURN_HOUSE = "return_house", _("Return house")
    OPEN_RETURN_PLACE = "open_return_place", _("Open return place")


# Declared once (issue 10): facilities have places (a capacity); a stay in a closed centre or a
# return house is detention, with its title and limits (Aliens Act art. 7, cases.services.detention).
FACILITY_KINDS = (OfficeKind.CLOSED_CENTRE, OfficeKind.RETURN_HOUSE, OfficeKind.OPEN_RETURN_PLACE)
DETENTION_KINDS = (OfficeKind.CLOSED_CENTRE, OfficeKind.RETURN_HOUSE)
COUNSELLING_KINDS = (OfficeKind.REGIONAL_OFFICE, OfficeKind.RETURN_DESK)


class Office(models.Model):
    """A place of the service: a counselling office, a return desk, or a facility with places."""

    Kind = OfficeKind

    class Restriction(models.TextChoices):
        NONE = "", _("No restriction")
        MEN_ONLY = "men_only", _("Men only")
        WOMEN_ONLY = "women_only", _("Women only")
        FAMILIES_ONLY = "families_only", _("Families with minor children only")

    FACILITY_KINDS = FACILITY_KINDS
    DETENTION_KINDS = DETENTION_KINDS
    COUNSELLING_KINDS = COUNSELLING_KINDS

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    province = models.CharField(_("province"), max_length=32, choices=Province.choices)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    walk_in = models.CharField(_("walk-in"), max_length=120, blank=True, help_text=_("e.g. 'Tuesday morning'"))
    public_transport = models.CharField(
        _("public transport"), max_length=200, blank=True,
        help_text=_("How to get there, for invitations: e.g. 'Metro 2/6 Clemenceau, tram 81 Bara'"),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Places (facilities) or units (return houses).")
    )
    restriction = models.CharField(
        _("restriction"), max_length=20, choices=Restriction.choices, default=Restriction.NONE, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                name="facility_has_capacity",
                condition=~Q(kind__in=[kind.value for kind in FACILITY_KINDS])
                | Q(capacity__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_facility(self) -> bool:
        return self.kind in self.FACILITY_KINDS


class ServiceArea(models.Model):
    """A range of Belgian postcodes an office serves (inclusive)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="service_areas")
    postcode_from = models.PositiveIntegerField(_("from postcode"), validators=[MinValueValidator(1000), MaxValueValidator(9999)])
    postcode_to = models.PositiveIntegerField(_("to postcode"), validators=[MinValueValidator(1000), MaxValueValidator(9999)])
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)

    class Meta:
        ordering = ["postcode_from"]
        indexes = [models.Index(fields=["postcode_from", "postcode_to"])]
        constraints = [
            models.CheckConstraint(name="service_area_range_ordered", condition=Q(postcode_from__lte=models.F("postcode_to"))),
        ]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")

    def __str__(self) -> str:
        return f"{self.office} {self.postcode_from}–{self.postcode_to}"


class ConsultationHours(models.Model):
    """One opening block of an office on a weekday (Monday = 0)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["office", "weekday", "opens"]
        constraints = [models.CheckConstraint(name="hours_open_before_close", condition=Q(opens__lt=models.F("closes")))]
        verbose_name = _("consultation hours")
        verbose_name_plural = _("consultation hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Membership(models.Model):
    """A staff member's place in an office. Visibility of cases follows memberships."""

    class Role(models.TextChoices):
        COUNSELLOR = "counsellor", _("Counsellor")
        MANAGER = "manager", _("Office manager")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COUNSELLOR)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "office"], name="one_membership_per_office")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.office} ({self.get_role_display()})"


class StaffProfile(models.Model):
    """What planning needs to know about a staff member."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes"))
    conversations_per_day = models.PositiveSmallIntegerField(_("conversations per day"), default=6)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)
