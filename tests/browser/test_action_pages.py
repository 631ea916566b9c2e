"""The pages around the main view in a real browser (issue 19): the mass actions' pages, the
Deleted customers page, and the main view's buttons while nothing is selected."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lists.services import create_list
from mycustomers.models import Customer
from mycustomers.services import delete_customers
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_assign_to_list_puts_each_checkbox_beside_its_label(
    logged_in_page: Page, live_server, owner, viewport
):
    customer = make_customer(owner, "Member00")
    for name in ("VIP", "Digital Goods Preferred", "Written Fantasy Lovers"):
        create_list(performer=owner, name=name)
    page = logged_in_page
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/customers/actions/assign/?ids={customer.pk}")

    for name in ("VIP", "Digital Goods Preferred", "Written Fantasy Lovers"):
        box = page.get_by_role("checkbox", name=name).bounding_box()
        label = page.locator("label", has_text=name).bounding_box()
        # On the label's line, just left of it (not centred on a line of its own).
        assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 4
        assert 0 <= label["x"] - (box["x"] + box["width"]) < 16
        assert box["width"] < 30
    page.get_by_role("checkbox", name="VIP").check()
    assert_accessible(page)


def test_the_deleted_customers_table_looks_like_the_main_one(
    logged_in_page: Page, live_server, owner
):
    gone = make_customer(owner, "Gone", amount="1597.60")
    delete_customers(performer=owner, customers=Customer.objects.filter(pk=gone.pk))
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/deleted/")
    table = page.get_by_role("table")
    header = table.get_by_role("columnheader", name="Lifetime earnings")
    earnings = table.get_by_role("cell", name="$1,597.60")
    expect(earnings).to_be_visible()
    style = "(element, property) => getComputedStyle(element)[property]"
    assert table.evaluate(style, "borderCollapse") == "collapse"
    assert header.evaluate(style, "backgroundColor") != "rgba(0, 0, 0, 0)"
    assert earnings.evaluate(style, "textAlign") == "right"
    assert_accessible(page)


def test_an_unknown_list_says_which_filter_is_wrong_and_how_out(
    logged_in_page: Page, live_server, owner
):
    make_customer(owner, "bob")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?q=bob&list=abc")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Check Display list")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("bob")
    assert_accessible(page)
    alert.get_by_role("link", name="Show this view without Display list").click()
    expect(page.get_by_role("link", name="bob", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
