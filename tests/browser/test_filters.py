"""The Filters panel, chips, smart lists, the Total row and the selection bar in a real
browser (F2, F4, F5, F8), with axe on every new page state."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from mycustomers.models import Customer
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(owner):
    """30 customers: the even ones earned $200 and have been quiet for 70+ days."""
    for n in range(30):
        quiet = n % 2 == 0
        made = make_customer(
            owner, f"member{n:02d}", ago=timedelta(days=70 + n if quiet else 5 + n)
        )
        Customer.objects.filter(pk=made.pk).update(
            earnings=Decimal("200") if quiet else Decimal("10")
        )


def test_a_performer_filters_with_the_panel_and_removes_a_chip(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/")
    panel = page.locator("details.filters")
    expect(panel).not_to_have_attribute("open", "")
    assert_accessible(page)

    page.get_by_text("Filters", exact=True).click()
    page.get_by_role("group", name="Quiet days").get_by_label("from").fill("60")
    page.get_by_role("group", name="Lifetime earnings").get_by_label("from").fill("100")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1–15 of 15")).to_be_visible()
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Quiet days ≥ 60")
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    expect(page.locator("tfoot")).to_contain_text("Total")
    expect(page.locator("tfoot")).to_contain_text("$3,000.00")
    assert_accessible(page)

    page.get_by_role("link", name="Quiet days ≥ 60").click()
    expect(page.get_by_role("list", name="Active filters")).not_to_contain_text("Quiet days")
    expect(page.get_by_text("1–15 of 15")).to_be_visible()
    page.get_by_role("link", name="Lifetime earnings ≥ $100.00").click()
    expect(page.get_by_text("1–20 of 30")).to_be_visible()


def test_a_bad_value_names_the_field_and_offers_clear_filters(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?quiet_min=90&quiet_max=30")
    expect(page.get_by_role("alert")).to_contain_text("Quiet for at most (days)")
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    assert_accessible(page)
    page.get_by_role("alert").get_by_role("link", name="Clear filters").click()
    expect(page.get_by_text("1–20 of 30")).to_be_visible()


def test_checked_rows_stay_checked_across_pages_and_the_bar_counts_them(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?per_page=10&sort=customer")
    bar = page.locator("[data-selection-bar]")
    expect(bar).to_be_hidden()
    expect(page.get_by_text("Check the customers to act on first")).to_be_visible()
    boxes = page.locator('#customer-table-form input[name="ids"]')
    boxes.nth(0).check()  # member00: $200
    boxes.nth(1).check()  # member01: $10
    expect(bar).to_contain_text("2 selected · $210.00")
    expect(page.get_by_text("Check the customers to act on first")).to_be_hidden()
    assert_accessible(page)

    page.get_by_role("link", name="Page 2", exact=True).click()
    expect(bar).to_contain_text("2 selected · $210.00")
    boxes.nth(0).check()  # member10: $200
    expect(bar).to_contain_text("3 selected · $410.00")
    page.get_by_role("link", name="Page 1", exact=True).click()
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()

    page.locator(".mass-actions-top").get_by_role("button", name="Block").click()
    expect(page.get_by_text("3 customers selected")).to_be_visible()
    page.get_by_role("button", name="Block 3 customers").click()
    expect(page.get_by_text("Blocked 3 customers.")).to_be_visible()
    assert set(Customer.objects.blocked().values_list("member_name", flat=True)) == {
        "member00",
        "member01",
        "member10",
    }


def test_leaving_the_view_clears_the_selection_and_nothing_checked_says_why(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?per_page=10")
    page.locator('#customer-table-form input[name="ids"]').first.check()
    page.goto(f"{live_server.url}/customers/?per_page=10&earnings_min=100")
    expect(page.locator("[data-selection-bar]")).to_be_hidden()
    send = page.locator(".mass-actions-top").get_by_role("button", name="Send Mail")
    expect(send).to_have_attribute("aria-disabled", "true")
    send.click(force=True)  # aria-disabled: it still takes the click, to say why it waits
    expect(page.get_by_text("Check the customers to act on first")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/customers/?per_page=10&earnings_min=100")


def test_a_performer_saves_filters_as_a_smart_list_and_finds_it_on_the_lists_page(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?earnings_min=100&quiet_min=60")
    page.get_by_label("Save these filters as a smart list").fill("Lapsed big spenders")
    page.get_by_role("button", name="Save smart list").click()
    expect(page.get_by_text("Saved the smart list “Lapsed big spenders”.")).to_be_visible()
    expect(page.get_by_text("1–15 of 15")).to_be_visible()
    expect(page.get_by_label("Display list")).to_have_value(
        page.get_by_label("Display list").input_value()
    )
    page.goto(f"{live_server.url}/lists/")
    row = page.get_by_role("row", name="Lapsed big spenders")
    expect(row).to_contain_text("15")
    expect(row).to_contain_text("Lifetime earnings ≥ $100.00 · Quiet days ≥ 60")
    assert_accessible(page)
