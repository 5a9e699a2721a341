"""Who serves a postcode (DESIGN §8: Belgian postcode ranges → provinces; each office serves postcode ranges)."""

import pytest

from offices.models import Office
from offices.selectors import facilities, office_for_postcode, province_for_postcode, regional_office_for_province
from tests import factories as f

# DESIGN §8, each range's first and last postcode.
PROVINCES = [
    (1000, 1299, "brussels"),
    (1300, 1499, "walloon_brabant"),
    (1500, 1999, "flemish_brabant"),
    (2000, 2999, "antwerp"),
    (3000, 3499, "flemish_brabant"),
    (3500, 3999, "limburg"),
    (4000, 4999, "liege"),
    (5000, 5999, "namur"),
    (6000, 6599, "hainaut"),
    (6600, 6999, "luxembourg"),
    (7000, 7999, "hainaut"),
    (8000, 8999, "west_flanders"),
    (9000, 9999, "east_flanders"),
]
PROVINCE_ROWS = [(str(code), province) for low, high, province in PROVINCES for code in (low, high)]


@pytest.mark.parametrize(("postcode", "province"), PROVINCE_ROWS)
def test_province_for_postcode(postcode, province):
    assert province_for_postcode(postcode) == province
    assert province_for_postcode(int(postcode)) == province


@pytest.mark.parametrize(
    ("postcode", "province"),
    [("1050", "brussels"), ("3001", "flemish_brabant"), ("6700", "luxembourg"), ("6840", "luxembourg"), ("7500", "hainaut")],
)
def test_province_for_well_known_postcodes(postcode, province):
    # Ixelles, Heverlee, Arlon, Neufchâteau, Tournai
    assert province_for_postcode(postcode) == province


@pytest.mark.parametrize("postcode", ["", None, "abc", "999", "0999", "10000", -1000])
def test_not_a_belgian_postcode(postcode):
    assert province_for_postcode(postcode) is None


@pytest.mark.django_db
def test_the_narrowest_service_area_wins():
    brussels = f.OfficeFactory(code="BXL-A", kind=Office.Kind.REGIONAL_OFFICE)
    ixelles = f.OfficeFactory(code="BXL-IX", kind=Office.Kind.REGIONAL_OFFICE)
    f.ServiceAreaFactory(office=brussels, postcode_from=1000, postcode_to=1299)
    f.ServiceAreaFactory(office=ixelles, postcode_from=1050, postcode_to=1050, municipality="Ixelles")
    assert office_for_postcode("1050") == ixelles
    assert office_for_postcode(1050) == ixelles
    assert office_for_postcode("1000") == brussels
    assert office_for_postcode("1299") == brussels
    assert office_for_postcode("1300") is None
    assert office_for_postcode("nope") is None
    assert office_for_postcode("") is None


@pytest.mark.django_db
def test_only_active_regional_offices_serve_postcodes():
    desk = f.OfficeFactory(code="DESK", kind=Office.Kind.RETURN_DESK)
    centre = f.FacilityFactory(code="CENTRE")
    gone = f.OfficeFactory(code="GONE", kind=Office.Kind.REGIONAL_OFFICE, is_active=False)
    for office in (desk, centre, gone):
        f.ServiceAreaFactory(office=office, postcode_from=9000, postcode_to=9000)
    assert office_for_postcode("9000") is None
    ghent = f.OfficeFactory(code="GNT", kind=Office.Kind.REGIONAL_OFFICE)
    f.ServiceAreaFactory(office=ghent, postcode_from=9000, postcode_to=9999)
    assert office_for_postcode("9000") == ghent


@pytest.mark.django_db
def test_equal_areas_pick_the_same_office_every_time():
    first = f.OfficeFactory(code="LG-1")
    second = f.OfficeFactory(code="LG-2")
    for office in (second, first):
        f.ServiceAreaFactory(office=office, postcode_from=4000, postcode_to=4999)
    assert {office_for_postcode("4000") for _ in range(3)} == {min(first, second, key=lambda o: o.pk)}


@pytest.mark.django_db
def test_regional_office_for_province():
    f.OfficeFactory(code="LIM-DESK", kind=Office.Kind.RETURN_DESK, province="limburg")
    f.OfficeFactory(code="LIM-0", province="limburg", is_active=False)
    hasselt = f.OfficeFactory(code="LIM-1", province="limburg")
    f.OfficeFactory(code="LIM-2", province="limburg")
    assert regional_office_for_province("limburg") == hasselt
    assert regional_office_for_province("namur") is None


@pytest.mark.django_db
def test_facilities_are_the_active_places():
    centre = f.FacilityFactory(code="127BIS", capacity=120, restriction=Office.Restriction.MEN_ONLY)
    house = f.FacilityFactory(code="ZULTE", kind=Office.Kind.RETURN_HOUSE, capacity=6)
    open_place = f.FacilityFactory(code="ORP", kind=Office.Kind.OPEN_RETURN_PLACE, capacity=30)
    f.FacilityFactory(code="OLD", is_active=False)
    f.OfficeFactory(code="OFFICE")
    assert set(facilities()) == {centre, house, open_place}
