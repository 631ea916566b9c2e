"""The main view in a real browser: sort, rows per page, select a page, dismiss a flag in
place (no reload), the phone layout, and no axe violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from contacts.types import ContactType
from mycustomers.models import Customer
from tests.browser.a11y import assert_accessible
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(owner):
    """25 customers contacted on different days, and one new customer with a missed call."""
    for n in range(24):
        make_customer(owner, f"member{n:02d}", ago=timedelta(days=40 + n))
    return add_event(owner, "Caller", ContactType.CALL_MISSED, ago=timedelta(hours=2))


def row_boxes(page: Page):
    return page.locator('#customer-table-form input[name="ids"]')


def test_a_performer_sorts_changes_rows_per_page_and_dismisses_a_flag_in_place(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/")
    expect(page.get_by_role("heading", name="My Customers")).to_be_visible()
    expect(page.get_by_text("1–20 of 25")).to_be_visible()
    expect(row_boxes(page)).to_have_count(20)
    # Newest contact first: the missed caller from two hours ago.
    expect(row_boxes(page).first).to_have_accessible_name("Select Caller")

    page.get_by_role("link", name="Customer", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/customers/?sort=customer")
    expect(row_boxes(page).first).to_have_accessible_name("Select Caller")
    expect(row_boxes(page).nth(1)).to_have_accessible_name("Select member00")
    page.get_by_role("link", name="Customer", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/customers/?sort=-customer")
    expect(row_boxes(page).first).to_have_accessible_name("Select member23")

    page.get_by_label("Rows per page").select_option("10")  # applies at once
    expect(page).to_have_url(f"{live_server.url}/customers/?per_page=10&sort=-customer")
    expect(row_boxes(page)).to_have_count(10)
    expect(page.get_by_text("1–10 of 25")).to_be_visible()
    page.get_by_role("link", name="Last page, 3").click()
    expect(page.get_by_text("21–25 of 25")).to_be_visible()
    expect(row_boxes(page).last).to_have_accessible_name("Select Caller")

    page.evaluate("window.stillTheSamePage = true")
    flag = page.get_by_role("button", name="Dismiss the missed-call flag of Caller")
    flag.click()
    expect(flag).to_have_count(0)
    expect(page.get_by_role("link", name="Caller", exact=True)).to_be_focused()
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, no reload
    book.refresh_from_db()
    assert not book.has_missed_call
    assert_accessible(page)


def test_two_flags_are_dismissed_one_after_the_other_in_place(
    logged_in_page: Page, live_server, owner
):
    for name in ("Caller", "Dialer"):
        add_event(owner, name, ContactType.CALL_MISSED, ago=timedelta(hours=2))
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer")
    page.evaluate("window.stillTheSamePage = true")
    for name in ("Caller", "Dialer"):  # the flags share one form: it must stay usable
        flag = page.get_by_role("button", name=f"Dismiss the missed-call flag of {name}")
        flag.click()
        expect(flag).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    assert not Customer.objects.filter(has_missed_call=True).exists()


def test_the_header_checkbox_checks_and_clears_the_page(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?per_page=10")
    select_page = page.get_by_label("Select every customer on this page")

    select_page.check()
    for box in row_boxes(page).all():
        expect(box).to_be_checked()
    row_boxes(page).first.uncheck()
    expect(select_page).not_to_be_checked()
    select_page.check()
    select_page.uncheck()
    for box in row_boxes(page).all():
        expect(box).not_to_be_checked()


def test_dismissing_a_flag_works_without_javascript(no_js_page, live_server, book):
    page = no_js_page
    page.goto(f"{live_server.url}/customers/?sort=customer&per_page=10")

    flag = page.get_by_role("button", name="Dismiss the missed-call flag of Caller")
    flag.click()

    expect(page).to_have_url(f"{live_server.url}/customers/?sort=customer&per_page=10")
    expect(flag).to_have_count(0)
    assert not Customer.objects.get(pk=book.pk).has_missed_call


def test_on_a_phone_the_table_scrolls_inside_its_frame(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/customers/")

    frame = page.get_by_role("region", name="Customers table (scrolls sideways)")
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    frame.focus()
    page.keyboard.press("ArrowRight")  # keyboard-scrollable: it takes focus (tabindex=0)
    page.wait_for_function("el => el.scrollLeft > 0", arg=frame.element_handle())
    assert_accessible(page)


@pytest.mark.parametrize(
    "query",
    ["", "?list=new&letter=C", "?q=" + "x" * 150, "?list=blocked", "?q=nobody-at-all"],
    ids=["default", "filtered", "search-error", "blocked-empty", "no-match"],
)
def test_the_main_view_has_no_axe_violations(logged_in_page: Page, live_server, book, query):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{query}")
    assert_accessible(page)
