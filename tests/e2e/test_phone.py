"""A phone is enough (issue 14, point 4): every counsellor page at 360 px in Chromium.

No horizontal scrolling (document width ≤ 360 px, 1 px tolerance for rounding) and the page's
main action inside the viewport's width without panning.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import sign_in, world  # noqa: F401  (the shared small office)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTH = 360
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !e.closest('.scroll-x');
  }).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": WIDTH, "height": 740}, timezone_id="Europe/Brussels",
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def assert_fits(page, main_action):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH + 1, f"{page.url} is {width} px wide: {page.evaluate(OVERFLOW)}"
    box = main_action.bounding_box()
    assert box is not None, f"{page.url}: the main action is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 1, f"{page.url}: main action at {box}"


def test_counsellor_pages_fit_a_phone(phone, live_server, world):  # noqa: F811
    case = world["case"]
    sign_in(phone, live_server, "sara")
    assert_fits(phone, phone.get_by_role("link", name="Log outcome").first)
    phone.goto(f"{live_server.url}/cases/")
    assert_fits(phone, phone.get_by_role("link", name="BENALI Amira"))
    phone.goto(f"{live_server.url}/cases/{case.pk}/")
    assert_fits(phone, phone.get_by_role("link", name="Log what happened"))
    phone.get_by_role("link", name="Log what happened").click()
    phone.wait_for_url("**/log/")
    assert_fits(phone, phone.get_by_role("button", name="Save"))
    assert phone.locator("input[name=next_planned_at]").get_attribute("type") == "datetime-local"


def test_the_language_is_one_click(phone, live_server, world):  # noqa: F811
    sign_in(phone, live_server, "sara")
    phone.get_by_role("button", name="Français").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "fr"
    assert phone.get_by_role("heading", name="Ma journée").is_visible()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= WIDTH + 1


def test_other_staff_pages_fit_a_phone(phone, live_server, world):  # noqa: F811
    case, intake = world["case"], world["intake"]
    sign_in(phone, live_server, "sara")
    for path in [f"/cases/{case.pk}/conversations/{intake.pk}/reschedule/", f"/cases/{case.pk}/conversations/{intake.pk}/cancel/",
                 f"/cases/{case.pk}/conversations/walk-in/"]:
        phone.goto(f"{live_server.url}{path}")
        assert_fits(phone, phone.locator("main button[type=submit]").last)
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.context.clear_cookies()
    sign_in(phone, live_server, "lien")
    for path in ["/", "/dashboards/office/", "/reach/show-up/", "/operations/"]:
        phone.goto(f"{live_server.url}{path}")
        assert_fits(phone, phone.locator("h1").first)
