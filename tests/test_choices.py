"""``get_<field>_display`` of the models with ``ChoiceLabels``: Django's answer, translated once."""

from unittest import mock

import pytest
from django.db.models import Model
from django.utils import translation

from cases.events import CaseEvent
from cases.models import Case, State
from counselling.models import Conversation


@pytest.mark.parametrize(("model", "field"), [(Case, "state"), (Case, "target_group"), (Conversation, "status"),
                                              (Conversation, "mode"), (CaseEvent, "kind")])
@pytest.mark.parametrize("language", ["en", "fr", "nl"])
def test_the_label_is_djangos_in_every_language(model, field, language):
    choices = model._meta.get_field(field).flatchoices
    with translation.override(language):
        for value, _label in choices:
            instance = model(**{field: value})
            expected = Model._get_FIELD_display(instance, model._meta.get_field(field))
            assert getattr(instance, f"get_{field}_display")() == expected
            assert isinstance(expected, str)


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert Case(state="no_such_state").get_state_display() == "no_such_state"


def test_only_the_label_shown_is_translated():
    case = Case(state=State.ORIENTATION)
    case.get_state_display()  # the map of the field is built
    with translation.override("nl"), mock.patch("django.utils.translation._trans.gettext", wraps=translation._trans.gettext) as gettext:
        case.get_state_display()
    assert gettext.call_count == 1
