"""After an edit that returns to a section of the detail page (Add note → #notes, Send Offer
→ #activity), its confirmation shows in that section, where the browser scrolled to, not at
the top of the page out of sight (issue 19, defect 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lists.models import CustomerList
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(logged_in_page: Page) -> Page:
    # At phone width the sections stack: the notes and the activity are far below the top.
    logged_in_page.set_viewport_size({"width": 390, "height": 740})
    return logged_in_page


@pytest.fixture
def alice(owner):
    for name in ("VIP", "Regulars", "Astrology", "Tarot", "Weekly"):
        CustomerList.objects.create(performer=owner, name=name)
    return make_customer(owner, "alice")


def test_adding_a_note_confirms_it_in_view(phone: Page, live_server, alice):
    phone.goto(f"{live_server.url}/customers/{alice.pk}/")
    phone.get_by_label("Note", exact=True).fill("Prefers evening calls")
    phone.get_by_role("button", name="Add note").click()
    confirmation = phone.get_by_role("status").filter(has_text="Note added.")
    expect(confirmation).to_be_in_viewport()
    expect(phone.locator("#notes")).to_contain_text("Note added.")
    assert_accessible(phone)


def test_sending_an_offer_confirms_it_in_view(phone: Page, live_server, alice):
    phone.goto(f"{live_server.url}/customers/{alice.pk}/offers/new/")
    phone.get_by_label("Value").fill("15")
    phone.get_by_role("button", name="Send offer").click()
    confirmation = phone.get_by_role("status").filter(has_text="Offer of $15.00 sent.")
    expect(confirmation).to_be_in_viewport()
    assert_accessible(phone)
