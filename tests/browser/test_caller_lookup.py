"""The header's "Look up a caller" field in a real browser (issue 19, defect 13): suggestions
as the performer types, the caller card on Enter, and the same without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mycustomers.models import Customer
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def callers(owner, colleague):
    alice = make_customer(owner, "alice")
    Customer.objects.filter(pk=alice.pk).update(nickname="Ally")
    make_customer(owner, "alfred")
    make_customer(owner, "bob")
    make_customer(colleague, "alina")  # another performer's: never suggested


def test_suggestions_as_you_type_then_the_caller_card(logged_in_page: Page, live_server, callers):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/")
    field = page.get_by_label("Look up a caller")
    field.press_sequentially("ali", delay=50)
    options = page.locator("#caller-suggestions option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "alice")
    expect(options.first).to_have_attribute("label", "alice “Ally”")
    assert_accessible(page)

    field.fill("al")
    field.dispatch_event("input")
    expect(options).to_have_count(2)  # alfred, alice: names starting "al"
    field.fill("alice")
    field.press("Enter")
    expect(page.get_by_role("heading", name="Caller card")).to_be_visible()
    expect(page.get_by_role("heading", name="alice “Ally”")).to_be_visible()
    assert_accessible(page)


def test_without_javascript_the_field_opens_the_caller_card(no_js_page: Page, live_server, callers):
    page = no_js_page
    page.goto(f"{live_server.url}/lists/")
    page.get_by_label("Look up a caller").fill("Ally")  # a nickname
    page.get_by_role("button", name="Look up", exact=True).first.click()
    expect(page.get_by_role("heading", name="alice “Ally”")).to_be_visible()
