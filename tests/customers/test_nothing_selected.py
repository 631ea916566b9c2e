"""A mass action with nothing ticked (issue 19): without JavaScript the buttons still submit;
the action then sends the browser back to the same view, its query string kept, where the
message says what to do, rather than to a dead-end page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mycustomers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

NOTHING = "Check the customers to act on first, or select all in this view."
ACTIONS = [
    "send_mail",
    "block",
    "unblock",
    "delete",
    "restore",
    "assign",
    "add_to_list",
    "remove_from_list",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_nothing_ticked_goes_back_to_the_same_view_with_the_message(owner_client, owner, action):
    make_customer(owner, "bob")
    view = "/customers/?q=bo&sort=customer&page=2"
    # What the main view's form sends: its filters, "next", and no ids.
    response = owner_client.get(
        reverse(f"customers:{action}"), {"next": view, "q": "bo", "sort": "customer"}
    )
    assert response.status_code == 302
    assert response.url == view
    page = owner_client.get(response.url)
    assert NOTHING in page.content.decode()


def test_a_post_with_nothing_selected_goes_back_too_and_changes_nothing(owner_client, owner):
    make_customer(owner, "bob")
    response = owner_client.post(reverse("customers:block"), {"next": "/customers/?letter=B"})
    assert response.status_code == 302
    assert response.url == "/customers/?letter=B"
    assert not Customer.objects.blocked().exists()


def test_without_a_view_to_go_back_to_it_is_the_main_view(owner_client):
    response = owner_client.get(reverse("customers:delete"), {"next": "https://evil.example/"})
    assert response.url == "/customers/"


def test_the_deleted_page_gets_its_own_message_back(owner_client):
    response = owner_client.get(reverse("customers:restore"), {"next": "/customers/deleted/"})
    assert response.url == "/customers/deleted/"
    page = owner_client.get(response.url).content.decode()
    assert NOTHING in page


def test_the_main_view_points_its_buttons_at_the_hint(owner_client, owner):
    """With JavaScript the buttons are disabled while nothing is checked; the hint that says
    why is the one each button names (static/js/selection.js sets aria-describedby)."""
    make_customer(owner, "bob")
    html = owner_client.get("/customers/").content.decode()
    assert f'id="selection-hint" data-selection-hint tabindex="-1" hidden>{NOTHING}</p>' in html


def test_any_other_bad_selection_offers_the_way_back_to_the_same_view(owner_client, colleague):
    theirs = make_customer(colleague, "zed")
    response = owner_client.get(
        reverse("customers:block"), {"ids": theirs.pk, "next": "/customers/?letter=Z"}
    )
    assert response.status_code == 400
    assert '<a class="button" href="/customers/?letter=Z">Back to the view</a>' in (
        response.content.decode()
    )


def test_a_next_too_long_to_be_a_view_is_the_main_view(owner_client):
    response = owner_client.get(reverse("customers:block"), {"next": "/customers/?q=" + "x" * 3000})
    assert response.status_code == 400
    assert '<a class="button" href="/customers/">Back to the view</a>' in response.content.decode()
