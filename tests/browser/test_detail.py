"""The customer detail page in a real browser: edit a note and change lists from the page,
look up a caller, and no axe violations on the detail, history and caller-card pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from contacts.models import Feedback, Note
from contacts.notes import add_note
from contacts.offers import send_offer
from contacts.types import ContactType
from lists.models import CustomerList
from mycustomers.models import Customer, CustomerStatus
from tests.factories import add_event

pytestmark = pytest.mark.django_db(transaction=True)


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    if results.violations_count:
        print(results.generate_report())
    assert results.violations_count == 0, f"axe violations on {page.url}"


@pytest.fixture
def alice(owner):
    customer = add_event(
        owner, "alice", ContactType.CALL_RECEIVED, ago=timedelta(days=50), amount="20.00"
    )
    add_event(owner, "alice", ContactType.MAIL_RECEIVED, ago=timedelta(days=400))
    add_event(owner, "alice", ContactType.CHAT, ago=timedelta(days=45), amount="3.00", quantity=4)
    note = add_note(performer=owner, customer=customer, body="Prefers evening calls")
    yesterday = note.created_at - timedelta(days=1)
    Note.objects.filter(pk=note.pk).update(created_at=yesterday, updated_at=yesterday)
    send_offer(performer=owner, customer=customer, value=Decimal("10"))
    Feedback.objects.create(performer=owner, customer=customer, rating=5, comment="Wonderful")
    CustomerList.objects.create(performer=owner, name="VIP")
    CustomerList.objects.create(performer=owner, name="Regulars")
    return customer


def test_a_performer_edits_a_note_and_changes_lists(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("alice")
    expect(page.get_by_text("Time to get in touch")).to_be_visible()

    notes = page.locator("#notes")
    notes.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit note on alice")).to_be_visible()
    page.get_by_label("Note", exact=True).fill("")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Write something before saving the note.")).to_be_visible()
    page.get_by_label("Note", exact=True).fill("Prefers evening calls, after 8pm")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("Note saved.")
    expect(notes).to_contain_text("Prefers evening calls, after 8pm")
    expect(notes).to_contain_text("edited")
    assert Note.objects.get().body == "Prefers evening calls, after 8pm"

    lists = page.locator("#lists")
    lists.get_by_label("VIP").check()
    lists.get_by_label("Regulars").check()
    lists.get_by_role("button", name="Update").click()
    expect(page.get_by_role("status")).to_contain_text("Lists updated: Regulars, VIP.")
    expect(page.locator(".identity")).to_contain_text("Lists: Regulars, VIP")
    expect(page.locator("#activity")).to_contain_text("Lists set to: Regulars, VIP")

    lists = page.locator("#lists")
    lists.get_by_label("VIP").uncheck()
    lists.get_by_label("Regulars").uncheck()
    lists.get_by_label("Blocked").check()
    lists.get_by_role("button", name="Update").click()
    expect(page.get_by_role("status")).to_contain_text("Customer blocked")
    expect(page.locator(".identity .badge-blocked")).to_have_text("Blocked")
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.BLOCKED


def test_a_performer_adds_and_deletes_a_note(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    page.get_by_label("Note", exact=True).fill("Birthday in May")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_contain_text("Note added.")
    notes = page.locator("#notes .note")
    expect(notes.first).to_contain_text("Birthday in May")

    # Cancelled first: the form stays usable (it was not submitted).
    page.once("dialog", lambda dialog: dialog.dismiss())
    notes.first.get_by_role("button", name="Delete").click()
    expect(notes.first.get_by_role("button", name="Delete")).not_to_have_attribute(
        "aria-disabled", "true"
    )
    page.once("dialog", lambda dialog: dialog.accept())
    notes.first.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Note deleted.")
    expect(page.locator("#notes")).not_to_contain_text("Birthday in May")
    assert list(Note.objects.values_list("body", flat=True)) == ["Prefers evening calls"]


def test_the_nickname_and_follow_up_are_set_from_the_page(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    page.get_by_role("textbox", name="Nickname").fill("Ally")
    page.get_by_role("button", name="Save nickname").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("“Ally”")
    page.get_by_label("Follow-up status").select_option(label="Left a message")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator(".identity")).to_contain_text("Follow-up: Left a message")
    alice.refresh_from_db()
    assert (alice.nickname, alice.follow_up) == ("Ally", "left_message")


def test_the_detail_and_history_pages_are_accessible(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    assert_accessible(page)

    page.get_by_role("link", name="View contact history").click()
    expect(page.get_by_role("heading", name="Offers")).to_be_visible()
    page.get_by_text("Show the monthly figures as a table").click()
    expect(page.get_by_role("table", name="Earnings and contacts per month")).to_be_visible()
    assert_accessible(page)

    page.locator("#contacts").get_by_role("link", name="purchase details").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_form_pages_and_errors_are_accessible(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{alice.pk}/offers/new/")
    page.get_by_label("Value ($)").fill("0")
    page.get_by_role("button", name="Send offer").click()
    expect(page.get_by_text("An offer is worth at least $0.01.")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    page.get_by_role("textbox", name="Nickname").fill("x" * 61)  # maxlength stops typing at 60
    page.evaluate("document.getElementById('id_nickname').removeAttribute('maxlength')")
    page.get_by_role("textbox", name="Nickname").fill("x" * 61)
    page.get_by_role("button", name="Save nickname").click()
    expect(page.get_by_text("Nicknames can be at most 60 characters")).to_be_visible()
    assert_accessible(page)


def test_the_caller_card_works_and_is_accessible(logged_in_page: Page, live_server, alice):
    Customer.objects.filter(pk=alice.pk).update(nickname="Ally")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/lookup/")
    page.get_by_label("Member name").fill("nobody")
    page.locator("#main").get_by_role("button", name="Look up").click()
    expect(page.get_by_text("Not your customer yet.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Member name").fill("alice")
    page.locator("#main").get_by_role("button", name="Look up").click()
    expect(page.get_by_text("Prefers evening calls")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Open customer details").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("alice")


def test_the_detail_page_fits_a_phone(logged_in_page: Page, live_server, alice):
    page = logged_in_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/customers/{alice.pk}/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert_accessible(page)
