"""A compose form sends once, whichever way the page is reached again (issue 19, defect 3):
the browser's Back brings the compose page back (restored fields or not) and Send again
must not mail the customers a second time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from contacts.models import Mail, MailDelivery, Note, Offer
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_send_mail_then_back_then_send_again_mails_once(logged_in_page: Page, live_server, owner):
    make_customer(owner, "Member00")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer")
    page.get_by_label("Select Member00").check()
    page.get_by_role("button", name="Send Mail").first.click()
    page.get_by_label("Subject").fill("Hello")
    page.get_by_label("Message").fill("Thanks for calling")
    page.get_by_role("button", name="Send Mail").click()
    expect(page.get_by_role("status")).to_contain_text("Mail sent to 1 customer.")

    page.go_back()
    expect(page.get_by_role("heading", name="Send Mail")).to_be_visible()
    assert_accessible(page)
    # Whether or not the browser restored the fields, Send again is the same mail.
    page.get_by_label("Subject").fill("Hello")
    page.get_by_label("Message").fill("Thanks for calling")
    page.get_by_role("button", name="Send Mail").click()
    expect(page.get_by_role("status")).to_contain_text("This mail was sent already")
    assert Mail.objects.count() == 1
    assert MailDelivery.objects.count() == 1


def test_send_offer_then_back_then_send_again_sends_one_offer(
    logged_in_page: Page, live_server, owner
):
    customer = make_customer(owner, "Member00")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_role("link", name="Send Offer").click()
    page.get_by_label("Value").fill("12.50")
    page.get_by_role("button", name="Send offer").click()
    expect(page.get_by_role("status")).to_contain_text("Offer of $12.50 sent.")

    page.go_back()
    page.get_by_label("Value").fill("12.50")
    page.get_by_role("button", name="Send offer").click()
    expect(page.get_by_role("status")).to_contain_text("This offer was sent already")
    assert list(Offer.objects.values_list("value", flat=True)) == [Decimal("12.50")]


def test_add_note_then_back_then_add_again_adds_one_note(logged_in_page: Page, live_server, owner):
    customer = make_customer(owner, "Member00")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_label("Note", exact=True).fill("Prefers evening calls")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("Note added.")

    page.go_back()
    page.get_by_label("Note", exact=True).fill("Prefers evening calls")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("This note was added already")
    assert list(Note.objects.values_list("body", flat=True)) == ["Prefers evening calls"]
