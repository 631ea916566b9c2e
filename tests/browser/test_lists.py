"""Customer lists in a real browser: create, rename and delete with the radio buttons
(seed 002), without JavaScript doing anything special, and no axe violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lists.services import create_list, set_customer_lists
from mycustomers.models import Customer
from tests.browser.a11y import assert_accessible
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_performer_creates_renames_and_deletes_a_list(logged_in_page: Page, live_server):
    page = logged_in_page
    page.goto(f"{live_server.url}/lists/")
    expect(page.get_by_role("heading", name="Customer lists")).to_be_visible()
    expect(page.get_by_role("link", name="New Customers")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)

    page.get_by_label("New list name").fill("  Regulars ")
    page.get_by_role("button", name="Create List").click()
    expect(page.get_by_role("status")).to_contain_text("Created the list “Regulars”.")
    expect(page.get_by_role("link", name="Regulars", exact=True)).to_be_visible()

    page.get_by_label("Select Regulars").check()
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Rename a list")).to_be_visible()
    page.get_by_label("New name").fill("Blocked")
    page.get_by_role("button", name="Rename List").click()
    expect(page.get_by_text("is one of the default lists")).to_be_visible()
    page.get_by_label("New name").fill("Big spenders")
    page.get_by_role("button", name="Rename List").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Renamed the list “Regulars” to “Big spenders”."
    )

    page.get_by_label("Select Big spenders").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete the list “Big spenders”?")).to_be_visible()
    expect(page.get_by_text("This list has 0 customers.")).to_be_visible()
    page.get_by_role("button", name="Delete List").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Deleted the list “Big spenders” (0 customers)."
    )
    expect(page.get_by_role("link", name="Big spenders")).to_have_count(0)
    expect(page.get_by_text("You have no lists of your own yet")).to_be_visible()


def test_a_performer_adds_and_removes_members(logged_in_page: Page, live_server, owner):
    vip = create_list(performer=owner, name="VIP")
    for name in ("alice", "bob"):
        make_customer(owner, name)
    page = logged_in_page
    page.goto(f"{live_server.url}{vip.get_absolute_url()}")
    page.get_by_label("Member names").fill("alice\nBOB, nobody")
    page.get_by_role("button", name="Add to list").click()
    expect(page.get_by_role("status").first).to_contain_text("Added 2 customers to “VIP”.")
    expect(page.get_by_text("Not your customers: nobody.")).to_be_visible()
    page.get_by_label("Select alice").check()
    page.get_by_role("button", name="Remove selected").click()
    expect(page.get_by_text("Removed 1 customer from “VIP”.")).to_be_visible()
    expect(page.get_by_label("Select alice")).to_have_count(0)
    expect(page.get_by_label("Select bob")).to_be_visible()


def test_the_lists_pages_have_no_axe_violations(logged_in_page: Page, live_server, owner):
    vip = create_list(performer=owner, name="<b>VIP</b>")
    add_event(owner, "nina")
    make_customer(owner, "olga")
    Customer.objects.filter(member_name="olga").update(affiliate_referral=True, nickname="Ollie")
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="olga"), lists=[vip]
    )
    page = logged_in_page
    for path in (
        "/lists/",
        "/lists/new/",
        vip.get_absolute_url(),
        f"/lists/{vip.pk}/rename/",
        f"/lists/{vip.pk}/delete/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)

    # Pages re-rendered with errors, too.
    page.goto(f"{live_server.url}/lists/new/")
    page.get_by_label("List name").fill("unassigned")
    page.get_by_role("button", name="Create List").click()
    expect(page.get_by_text("is one of the default lists")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}{vip.get_absolute_url()}")
    page.get_by_role("button", name="Remove selected").click()
    expect(page.get_by_text("Select the customers to remove.")).to_be_visible()
    assert_accessible(page)
