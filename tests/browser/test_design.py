"""The layout in a real browser: the main table's header row stays on screen while its rows
scroll, icon columns say what they count where there is no hover, no page is wider than a
phone, and the summary strip leads to its views (with the keyboard, without JavaScript)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from contacts.types import ContactType
from lists.services import create_list, set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import delete_customers
from tests.browser.a11y import assert_accessible, tab_to
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def book(owner):
    """50 customers, one in a list with a long name, one deleted, one with a missed call."""
    for n in range(50):
        make_customer(owner, f"member{n:02d}", ago=timedelta(days=40 + n), amount=n)
    add_event(owner, "Caller", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    regular = Customer.objects.get(member_name="member00")
    lists = [create_list(performer=owner, name=name) for name in ("Weekend night owls", "VIP")]
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=regular.pk), lists=lists
    )
    gone = Customer.objects.get(member_name="member49")
    delete_customers(performer=owner, customers=Customer.objects.filter(pk=gone.pk))
    return {"regular": regular, "list": lists[0]}


def in_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280", "390"])
def test_the_header_row_stays_on_screen_while_the_rows_scroll(
    logged_in_page: Page, live_server, book, viewport
):
    page = logged_in_page
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/customers/?per_page=50")
    header = page.get_by_role("columnheader", name="Customer", exact=True)
    rows = page.locator("#customer-table-form input[name='ids']")
    expect(rows).to_have_count(50)

    # The wheel over the table scrolls the rows, then the page: either way the header stays.
    page.locator("table.customers tbody").hover()
    for _ in range(6):
        page.mouse.wheel(0, 600)
    page.wait_for_timeout(100)
    assert in_viewport(page, header)
    assert not in_viewport(page, rows.first)  # the first rows have scrolled away
    rows.last.scroll_into_view_if_needed()
    assert in_viewport(page, rows.last)
    assert in_viewport(page, header)
    assert_accessible(page)


def test_icon_columns_say_what_they_count_on_a_phone(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/customers/")
    for label, word in [
        ("Live calls", "Live"),
        ("Recorded calls", "Recorded"),
        ("Mail sent", "Sent"),
        ("Mail received", "Received"),
        ("Goody bags", "Goody"),
        ("Chat volleys", "Chat"),
        ("Feeds", "Feeds"),
    ]:
        link = page.get_by_role("link", name=label, exact=True)
        expect(link).to_contain_text(word)  # a visible word: no hover on a phone
        expect(link.locator(".th-short")).to_be_visible()
    page.set_viewport_size(LAPTOP)  # wide enough for the icons alone, their title on hover
    expect(page.locator("th .th-short").first).to_be_hidden()
    expect(page.get_by_role("link", name="Live calls", exact=True)).to_have_attribute(
        "title", "Live calls"
    )


def phone_pages(book) -> list[str]:
    regular, customer_list = book["regular"], book["list"]
    return [
        "/customers/",
        "/customers/?per_page=50&sort=lists",
        f"/customers/{regular.pk}/",
        f"/customers/{regular.pk}/history/",
        "/customers/deleted/",
        "/lists/",
        f"/lists/{customer_list.pk}/",
    ]


def test_no_page_is_wider_than_a_phone(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    for path in phone_pages(book):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
        assert_accessible(page)


def test_the_lists_page_puts_its_edit_links_on_screen(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/lists/")
    link = page.get_by_role("link", name="Edit members of Weekend night owls")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Nor is it hidden in a table that scrolls sideways: the table fits.
    frame = page.locator(".own-lists .table-scroll")
    assert frame.evaluate("el => el.scrollWidth <= el.clientWidth")


def test_the_lists_page_uses_the_width_it_has(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/lists/")
    own = page.get_by_role("group", name="Your customer lists").bounding_box()
    smart = page.get_by_role("heading", name="Smart lists").bounding_box()
    assert smart["x"] > own["x"] + own["width"]  # side by side
    main = page.locator("main").bounding_box()
    assert smart["x"] + smart["width"] > main["x"] + main["width"] * 0.8


def test_the_detail_pages_notes_are_above_the_fold(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/customers/{book['regular'].pk}/")
    assert in_viewport(page, page.get_by_role("button", name="Add note"))


def test_the_summary_strip_leads_to_its_views_with_the_keyboard(
    logged_in_page: Page, live_server, book
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/")
    strip = page.get_by_role("navigation", name="Today at a glance")
    missed = strip.get_by_role("link", name="1 Missed calls to return")
    tab_to(page, missed, presses=30)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/?missed=1")
    expect(page.locator("#customer-table-form input[name='ids']")).to_have_count(1)


def test_the_summary_strip_works_without_javascript(browser, live_server, client, owner, book):
    client.force_login(owner)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="New customers").click()
    expect(page).to_have_url(f"{live_server.url}/customers/?list=new")
    expect(page.get_by_label("Select Caller")).to_be_visible()
    context.close()
