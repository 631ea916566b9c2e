"""The account page in a real browser: reached from the header, the time zone chosen from
the select, and the detail page's times then in that zone (issue 19, defect 14)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mycustomers.models import Performer
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_performer_sets_their_time_zone(logged_in_page: Page, live_server, owner):
    ann = make_customer(owner, "ann")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_role("status")).to_contain_text("Time zone set to Asia/Tokyo.")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    expect(page.get_by_text("in your time zone")).to_contain_text("JST")
    assert_accessible(page)
    assert Performer.objects.get(pk=owner.pk).time_zone == "Asia/Tokyo"

    page.goto(f"{live_server.url}{ann.get_absolute_url()}")
    expect(page.get_by_text("Times are in Asia/Tokyo (JST).")).to_be_visible()
