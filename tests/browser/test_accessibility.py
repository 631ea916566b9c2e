"""axe-core on every page a performer sees, in the states that matter (flags, badges,
filters, errors), and the main view used with the keyboard alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from contacts.models import Feedback, Note, Offer
from contacts.types import ContactType
from lists.services import create_list, set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import delete_customers
from tests.browser.a11y import assert_accessible, tab_to
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(owner):
    """A small customer book with every kind of row the pages show."""
    vip = create_list(performer=owner, name="VIP")
    regular = make_customer(owner, "Regular", amount="42.50")
    add_event(owner, "Regular", ContactType.CHAT, quantity=12, amount="3.00")
    add_event(owner, "Newbie", ContactType.CALL_MISSED, ago=timedelta(hours=3))
    make_customer(owner, "7even")
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=regular.pk), lists=[vip]
    )
    Note.objects.create(performer=owner, customer=regular, body="Prefers evening calls")
    Offer.objects.create(performer=owner, customer=regular, value=5)
    Feedback.objects.create(performer=owner, customer=regular, rating=4, comment="Lovely")
    gone = make_customer(owner, "Gone")
    delete_customers(performer=owner, customers=Customer.objects.filter(pk=gone.pk))
    return {"regular": regular, "vip": vip}


def pages(book) -> list[str]:
    regular, vip = book["regular"], book["vip"]
    event = regular.events.order_by("pk").first()
    return [
        "/customers/",
        "/customers/?letter=R&sort=-earnings",
        f"/customers/?list={vip.pk}",
        "/customers/?q=zzzz-nobody",
        f"/customers/{regular.pk}/",
        f"/customers/{regular.pk}/history/",
        f"/customers/{regular.pk}/events/{event.pk}/",
        "/customers/lookup/?member=Regular",
        "/customers/lookup/?member=unknown-person",
        f"/customers/actions/send-mail/?ids={regular.pk}",
        f"/customers/actions/assign/?ids={regular.pk}",
        f"/customers/actions/block/?ids={regular.pk}",
        "/customers/deleted/",
        "/lists/",
        f"/lists/{vip.pk}/",
        "/accounts/password/change/",
        "/accounts/password/change/done/",
    ]


def test_every_page_has_no_axe_violations(logged_in_page: Page, live_server, book):
    for path in pages(book):
        logged_in_page.goto(f"{live_server.url}{path}")
        assert_accessible(logged_in_page)


def test_the_login_page_has_no_axe_violations(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Log in").click()  # with its errors showing
    assert_accessible(page)


def test_the_password_change_page_with_its_errors_has_no_axe_violations(
    logged_in_page: Page, live_server
):
    logged_in_page.goto(f"{live_server.url}/accounts/password/change/")
    logged_in_page.get_by_role("button", name="Change password").click()
    expect(logged_in_page.get_by_text("This field is required.").first).to_be_visible()
    assert_accessible(logged_in_page)


def test_the_password_reset_pages_have_no_axe_violations(page: Page, live_server):
    for path in ("/accounts/password/reset/", "/accounts/reset/MQ/bad-token/",
                 "/accounts/reset/done/"):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
    page.goto(f"{live_server.url}/accounts/password/reset/")
    page.get_by_role("button", name="Mail me a link").click()  # with its error
    assert_accessible(page)
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    assert_accessible(page)


def test_the_main_view_works_with_the_keyboard_alone(logged_in_page: Page, live_server, book):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer")
    checkbox = page.get_by_label("Select Regular")
    tab_to(page, checkbox)  # past the header, the summary strip, filters and buttons
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    block = page.get_by_role("button", name="Block").first
    block.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Block customers")).to_be_visible()
    page.get_by_role("button", name="Block 1 customer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Blocked 1 customer.")
    assert Customer.objects.get(member_name="Regular").status == "blocked"
