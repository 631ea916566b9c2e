"""An invalid filter on the main view (M13, issue 19): a 400 whose message names the field
that is wrong, keeps the rest of the view, and offers the view without it and Clear filters."""

from __future__ import annotations

import re

import pytest

from tests.customers.main_view_helpers import customer, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(owner):
    customer(owner, "bob")
    customer(owner, "bobby")


def alert(response) -> str:
    html = response.content.decode()
    return re.search(r'<div class="message message-error" role="alert">(.*?)</div>', html, re.S)[1]


def test_an_unknown_list_names_the_display_list_not_the_search(owner_client, book):
    response = get(owner_client, list="abc")
    assert response.status_code == 400
    message = alert(response)
    assert "Display list" in message
    assert "search" not in message.lower()
    assert '<a href="/customers/">Clear filters</a>' in message
    controls = response.content.decode().split('<form class="controls"')[1].split("</form>")[0]
    assert 'href="/customers/">Clear filters</a>' in controls


def test_the_rest_of_the_view_stays_and_the_view_without_the_wrong_field_is_offered(
    owner_client, book
):
    response = get(owner_client, q="bob", list="abc", sort="customer")
    html = response.content.decode()
    assert re.search(r'<input type="search" name="q"[^>]* value="bob"', html)
    message = alert(response)
    assert '<a href="?q=bob&amp;sort=customer">Show this view without Display list</a>' in message
    assert response.context["state"].q == "bob"


def test_a_wrong_range_names_its_own_field_and_keeps_the_other_filters(owner_client, book):
    response = get(owner_client, q="bob", quiet_min="abc", earnings_min="5")
    assert response.status_code == 400
    message = alert(response)
    assert "Quiet for at least (days)" in message
    assert "Display list" not in message
    assert "?q=bob&amp;earnings_min=5" in message
    chips = dict(response.context["chips"])
    assert "Lifetime earnings ≥ $5.00" in chips


def test_a_valid_view_has_no_such_message(owner_client, book):
    response = get(owner_client, q="bob")
    assert response.status_code == 200
    assert 'role="alert"' not in response.content.decode()
