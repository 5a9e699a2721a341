"""Names that cannot deceive (decision 027): NFC on save and in matching; invisible and
text-direction characters refused with a clear error in the API and in forms."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError

from cases.models import Case, Person
from cases.names import deceptive_characters
from tests import factories as f
from tests.cases.test_api_support import order_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_clean_api_cache")]
pytest_plugins = ["tests.cases.test_api_support"]
ORDERS = "/api/v1/orders/"
NFD = unicodedata.normalize("NFD", "Zoë Ménard")

# (name, refused?) — each row a character class
NAMES = [
    ("Ana\u202eNIBOR", True),   # RIGHT-TO-LEFT OVERRIDE
    ("Ana\u2066x\u2069", True),  # LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE
    ("Ana\u200b", True),         # ZERO WIDTH SPACE
    ("A\u200dna", True),         # ZERO WIDTH JOINER
    ("\ufeffAna", True),         # BYTE ORDER MARK
    ("An\u00ada", True),         # SOFT HYPHEN
    ("Ana\u0007", True),         # a control character
    ("محمد", False), ("李", False), ("Đoković-Ørsted", False), ("O'Brien", False), (NFD, False),
]


@pytest.mark.parametrize(("name", "refused"), NAMES)
def test_which_characters_are_refused(name, refused):
    assert bool(deceptive_characters(name)) is refused


def test_the_api_refuses_a_bidi_override_with_the_field_and_the_character(api_register):
    _c, api = api_register
    response = api.post(ORDERS, order_payload(person__family_name="Ana\u202eNIBOR"), format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "person.family_name" and error["code"] == "invisible_characters"
    assert "U+202E" in error["detail"]
    assert not Person.objects.exists()


def test_names_are_stored_nfc_and_match_whatever_form_was_sent(api_register):
    _c, api = api_register
    first = api.post(ORDERS, order_payload("R-1", person__given_names=NFD, person__dossier_number=""), format="json")
    assert Person.objects.get().given_names == unicodedata.normalize("NFC", NFD)
    second = api.post(ORDERS, order_payload("R-2", person__given_names=unicodedata.normalize("NFC", NFD),
                                            person__dossier_number=""), format="json")
    assert second.json()["id"] == first.json()["id"] and Case.objects.count() == 1


def test_model_forms_and_save_enforce_it_too():
    person = f.PersonFactory(family_name=unicodedata.normalize("NFD", "Müller"))
    assert person.family_name == "Müller" and len(person.family_name) == 6
    person.given_names = "Ana\u202e"
    with pytest.raises(ValidationError) as refused:
        person.full_clean()
    assert "invisible or text-direction characters" in str(refused.value)
