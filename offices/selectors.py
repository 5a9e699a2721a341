"""Reads about offices: who serves a postcode, who works where."""

from __future__ import annotations

from django.db.models import F

from offices.models import Office, Province, ServiceArea

# DESIGN §8: Belgian postcode ranges → provinces.
PROVINCE_RANGES: tuple[tuple[int, int, str], ...] = (
    (1000, 1299, Province.BRUSSELS),
    (1300, 1499, Province.WALLOON_BRABANT),
    (1500, 1999, Province.FLEMISH_BRABANT),
    (2000, 2999, Province.ANTWERP),
    (3000, 3499, Province.FLEMISH_BRABANT),
    (3500, 3999, Province.LIMBURG),
    (4000, 4999, Province.LIEGE),
    (5000, 5999, Province.NAMUR),
    (6000, 6599, Province.HAINAUT),
    (6600, 6999, Province.LUXEMBOURG),
    (7000, 7999, Province.HAINAUT),
    (8000, 8999, Province.WEST_FLANDERS),
    (9000, 9999, Province.EAST_FLANDERS),
)


def province_for_postcode(postcode: str | int) -> str | None:
    try:
        number = int(postcode)
    except (TypeError, ValueError):
        return None
    for low, high, province in PROVINCE_RANGES:
        if low <= number <= high:
            return province
    return None


def office_for_postcode(postcode: str | int) -> Office | None:
    """The regional counselling office serving a postcode: the narrowest service area wins."""
    try:
        number = int(postcode)
    except (TypeError, ValueError):
        return None
    area = (
        ServiceArea.objects.select_related("office")
        .filter(
            postcode_from__lte=number,
            postcode_to__gte=number,
            office__kind=Office.Kind.REGIONAL_OFFICE,
            office__is_active=True,
        )
        .order_by(F("postcode_to") - F("postcode_from"), "office_id")
        .first()
    )
    return area.office if area else None


def regional_office_for_province(province: str) -> Office | None:
    return (
        Office.objects.filter(kind=Office.Kind.REGIONAL_OFFICE, province=province, is_active=True)
        .order_by("code")
        .first()
    )


def facilities():
    return Office.objects.filter(kind__in=Office.FACILITY_KINDS, is_active=True)
