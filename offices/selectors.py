"""Reads about offices: who serves a postcode, who works where."""

from __future__ import annotations

from offices.models import Office, Province, ServiceArea
from offices.reference import cached

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


def _areas() -> list[tuple[int, int, int, Office]]:
    """Every active regional office's service areas: (from, to, width, office), narrowest first."""
    def load():
        areas = ServiceArea.objects.select_related("office").filter(
            office__kind=Office.Kind.REGIONAL_OFFICE, office__is_active=True
        )
        return sorted(((a.postcode_from, a.postcode_to, a.postcode_to - a.postcode_from, a.office) for a in areas),
                      key=lambda row: (row[2], row[3].pk))

    return cached("offices.areas", load)


def office_for_postcode(postcode: str | int) -> Office | None:
    """The regional counselling office serving a postcode: the narrowest service area wins
    (reference data kept per process, decision 061)."""
    try:
        number = int(postcode)
    except (TypeError, ValueError):
        return None
    for low, high, _width, office in _areas():
        if low <= number <= high:
            return office
    return None


def regional_office_for_province(province: str) -> Office | None:
    def load():
        return {
            office.province: office
            for office in Office.objects.filter(kind=Office.Kind.REGIONAL_OFFICE, is_active=True).order_by("-code")
        }

    return cached("offices.by_province", load).get(province)


def office_by_code(code: str) -> Office | None:
    """The active office with this code (reference data kept per process)."""
    return cached("offices.by_code", lambda: {o.code: o for o in Office.objects.filter(is_active=True)}).get(code)


def facilities():
    return Office.objects.filter(kind__in=Office.FACILITY_KINDS, is_active=True)
