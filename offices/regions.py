"""Belgium's three regions, by province: where a full office's cases may be offered (issue 13, item 7)."""

from __future__ import annotations

import math

from offices.models import Province

REGION_OF_PROVINCE: dict[str, str] = {
    Province.BRUSSELS: "brussels",
    Province.ANTWERP: "flanders", Province.LIMBURG: "flanders", Province.EAST_FLANDERS: "flanders",
    Province.WEST_FLANDERS: "flanders", Province.FLEMISH_BRABANT: "flanders",
    Province.WALLOON_BRABANT: "wallonia", Province.HAINAUT: "wallonia", Province.LIEGE: "wallonia",
    Province.LUXEMBOURG: "wallonia", Province.NAMUR: "wallonia",
}


def region_of(province: str) -> str:
    return REGION_OF_PROVINCE.get(province, "")


def provinces_of_region(region: str) -> list[str]:
    return [str(p) for p, r in REGION_OF_PROVINCE.items() if r == region]


def distance_km(a, b) -> float:
    """Great-circle distance between two offices; unknown coordinates count as far away."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a.latitude, a.longitude, b.latitude, b.longitude)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))
