"""The pages around the main view in a real browser (issue 19): the mass actions' pages, the
Deleted customers page, and the main view's buttons while nothing is selected."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lists.services import create_list
from mycustomers.models import Customer
from mycustomers.services import block_customers, delete_customers
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
    # The main table's look (table.css), whatever it is: a shaded header, figures to the right.
    style = "(element, property) => getComputedStyle(element)[property]"
    assert header.evaluate(style, "backgroundColor") != "rgba(0, 0, 0, 0)"
    assert earnings.evaluate(style, "textAlign") == "right"
    assert earnings.evaluate(style, "fontVariantNumeric") == "tabular-nums"
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


NOTHING = "Check the customers to act on first, or select all in this view."


def test_with_javascript_the_buttons_say_why_they_wait_while_nothing_is_checked(
    logged_in_page: Page, live_server, owner
):
    for name in ("ann", "bob"):
        make_customer(owner, name)
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer")
    hint = page.locator("#selection-hint")
    buttons = page.locator(".mass-actions button[formaction]")
    expect(hint).to_be_visible()
    expect(hint).to_have_text(NOTHING)
    for button in buttons.all():
        expect(button).to_have_attribute("aria-disabled", "true")
        expect(button).to_have_accessible_description(NOTHING)
    assert_accessible(page)

    page.get_by_label("Select ann").check()
    expect(hint).to_be_hidden()
    for button in buttons.all():
        expect(button).to_have_attribute("aria-disabled", "false")
        expect(button).not_to_have_attribute("aria-describedby", "selection-hint")
    page.get_by_label("Select ann").uncheck()
    expect(hint).to_be_visible()

    block = page.locator(".mass-actions-bottom").get_by_role("button", name="Block")
    block.click(force=True)  # aria-disabled: it still takes the click, to say why it waits
    expect(hint).to_be_focused()
    expect(page).to_have_url(f"{live_server.url}/customers/?sort=customer")


def test_without_javascript_nothing_checked_comes_back_to_the_view_with_the_message(
    browser, live_server, client, owner
):
    make_customer(owner, "bob")
    client.force_login(owner)
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    view = f"{live_server.url}/customers/?q=bo&sort=customer&per_page=10"
    page.goto(view)
    page.locator(".mass-actions-top").get_by_role("button", name="Delete").click()

    expect(page).to_have_url(view)
    expect(page.get_by_role("status")).to_contain_text(NOTHING)
    expect(page.get_by_role("link", name="bob", exact=True)).to_be_visible()
    context.close()


def test_the_view_with_that_message_is_accessible(logged_in_page: Page, live_server, owner):
    # What a browser without JavaScript requests (axe itself needs JavaScript to run).
    make_customer(owner, "bob")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/actions/delete/?next=/customers/%3Fq%3Dbo&q=bo")
    expect(page).to_have_url(f"{live_server.url}/customers/?q=bo")
    expect(page.get_by_role("status").first).to_contain_text(NOTHING)
    assert_accessible(page)


def test_delete_on_the_blocked_list_says_it_unblocks(logged_in_page: Page, live_server, owner):
    for name in ("ann", "bob"):
        make_customer(owner, name)
    block_customers(performer=owner, customers=Customer.objects.filter(performer=owner))
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?list=blocked&sort=customer")
    page.get_by_label("Select ann").check()
    page.locator(".mass-actions-top").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleting unblocks the 1 customer who is blocked")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Delete 1 customer").click()
    expect(page.get_by_role("status").first).to_contain_text("Deleted and unblocked 1 customer.")
    expect(page).to_have_url(f"{live_server.url}/customers/?list=blocked&sort=customer")
