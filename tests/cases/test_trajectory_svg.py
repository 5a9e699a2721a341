import re

import pytest
from django.utils import translation


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_state_diagram_keeps_svg_numbers_in_every_language(case, counsellor, client, language):
    client.force_login(counsellor)
    with translation.override(language):
        page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    svg = page[page.index("<svg"): page.index("</svg>")]
    # A decimal comma (nl, fr) in a coordinate makes the browser drop the drawing.
    assert not re.search(r'(?:x|y|x1|y1|x2|y2|width|height)="[^"]*,', svg)
    assert "▶" in svg and svg.count("<rect") == 10


