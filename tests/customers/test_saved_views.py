"""Saved views as tabs, the default view, and the column chooser (F6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from mycustomers.export import CSV_HEADER
from mycustomers.models import SavedView
from mycustomers.saved_views import save_view, set_columns
from tests.customers.main_view_helpers import LIST_URL, customer, days_ago, names

pytestmark = pytest.mark.django_db
EXPORT_URL = reverse("customers:export")


@pytest.fixture
def book(owner):
    customer(owner, "big", earnings=Decimal("500"), last_contact=days_ago(80), live_calls=9)
    customer(owner, "small", earnings=Decimal("5"), last_contact=days_ago(2), live_calls=1)


def post_save(client, name, **fields):
    return client.post(reverse("customers:save_view"), {"name": name, "next": LIST_URL, **fields})


def test_it_saves_filters_sort_rows_per_page_and_columns(owner, owner_client, book):
    response = post_save(
        owner_client,
        "Whales",
        earnings_min="100",
        sort="-earnings",
        per_page="50",
        page="3",
        columns=["earnings", "customer"],
    )
    view = SavedView.objects.get(performer=owner)
    assert view.query == "earnings_min=100&sort=-earnings&per_page=50"
    assert view.columns == ["earnings", "customer"]
    assert (
        response.url
        == view.url
        == f"{LIST_URL}?earnings_min=100&sort=-earnings&per_page=50&view={view.pk}"
    )


def test_a_saved_view_is_a_tab_that_shows_its_rows_and_columns(owner, owner_client, book):
    view = save_view(
        performer=owner, name="Whales", query="earnings_min=100", columns=["earnings", "customer"]
    )
    response = owner_client.get(view.url)
    assert names(response) == ["big"]
    tabs = response.context["tabs"]
    assert [(name, current) for name, _url, current, _default in tabs] == [
        ("All customers", False),
        ("Whales", True),
    ]
    assert [h.name for h in response.context["headers"]] == ["earnings", "customer"]
    assert f"view={view.pk}" in response.context["state"].url(sort="customer")


def test_the_default_view_opens_first_and_all_customers_stays_reachable(owner, owner_client, book):
    view = save_view(performer=owner, name="Recent", query="quiet_max=10", columns=[], default=True)
    response = owner_client.get(LIST_URL)
    assert response.status_code == 302 and response.url == view.url
    everyone = owner_client.get(LIST_URL, {"view": "all"})
    assert set(names(everyone)) == {"big", "small"}
    assert everyone.context["tabs"][0][:3] == ("All customers", f"{LIST_URL}?view=all", True)


def test_only_one_view_is_the_default(owner, owner_client, book):
    first = save_view(performer=owner, name="A", query="", columns=[], default=True)
    second = save_view(performer=owner, name="B", query="", columns=[])
    owner_client.post(reverse("customers:default_view", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    owner_client.post(reverse("customers:default_view", args=[second.pk]))
    second.refresh_from_db()
    assert not second.is_default
    assert owner_client.get(LIST_URL).status_code == 200


def test_names_are_unique_ignoring_case_and_bad_filters_are_not_saved(owner, owner_client, book):
    save_view(performer=owner, name="Whales", query="", columns=[])
    post_save(owner_client, "WHALES")
    post_save(owner_client, "Broken", earnings_min="lots")
    post_save(owner_client, "   ")
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Whales"]


def test_deleting_a_view_changes_no_customer(owner, owner_client, book):
    view = save_view(performer=owner, name="Whales", query="earnings_min=100", columns=[])
    owner_client.post(reverse("customers:delete_view", args=[view.pk]))
    assert not SavedView.objects.exists()
    assert set(names(owner_client.get(LIST_URL))) == {"big", "small"}


def test_the_column_chooser_shows_hides_and_orders_the_columns(owner, owner_client, book):
    page = owner_client.get(reverse("customers:columns"))
    assert page.status_code == 200
    data = {
        f"place_{key}": str(n)
        for n, key in enumerate(
            [
                "customer",
                "live_calls",
                "recorded_calls",
                "mail_sent",
                "mail_received",
                "goody_bags",
                "chat_volleys",
                "feeds",
                "earnings",
                "last_contact",
                "contact_type",
                "lists",
            ],
            start=1,
        )
    }
    data |= {"show_earnings": "on", "place_earnings": "1", "show_lists": "on", "place_lists": "2"}
    data["place_customer"] = "3"
    owner_client.post(reverse("customers:columns"), data)
    owner.refresh_from_db()
    assert owner.columns == ["earnings", "lists", "customer"]
    headers = [h.name for h in owner_client.get(LIST_URL).context["headers"]]
    assert headers == ["earnings", "lists", "customer"]


def test_the_customer_column_cannot_be_hidden(owner):
    assert set_columns(performer=owner, columns=["feeds"]) == ["customer", "feeds"]


def test_the_export_follows_the_visible_order_and_keeps_every_column(owner, owner_client, book):
    set_columns(performer=owner, columns=["earnings", "customer"])
    response = owner_client.get(EXPORT_URL)
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:6] == [
        "Lifetime earnings",
        "Member name",
        "Nickname",
        "New",
        "Missed call",
        "Follow-up",
    ]
    assert sorted(header) == sorted(CSV_HEADER)
    assert any(line.startswith("500.00,big,") for line in lines[1:])


def test_a_saved_views_columns_are_edited_on_their_own(owner, owner_client, book):
    view = save_view(performer=owner, name="Whales", query="", columns=["customer", "earnings"])
    url = reverse("customers:columns") + f"?view={view.pk}"
    owner_client.post(url, {"place_customer": "1", "show_feeds": "on", "place_feeds": "2"})
    view.refresh_from_db()
    owner.refresh_from_db()
    assert view.columns == ["customer", "feeds"]
    assert owner.columns == []


def test_another_performers_saved_view_is_out_of_reach(owner, colleague, owner_client, book):
    theirs = save_view(performer=colleague, name="Theirs", query="", columns=["customer"])
    assert owner_client.post(reverse("customers:default_view", args=[theirs.pk])).status_code == 404
    assert owner_client.get(reverse("customers:delete_view", args=[theirs.pk])).status_code == 404
    assert owner_client.get(reverse("customers:columns") + f"?view={theirs.pk}").status_code == 404
    response = owner_client.get(LIST_URL, {"view": theirs.pk})
    assert response.context["current_view"] is None
    assert not response.context["tabs"]


def test_the_table_still_sorts_by_a_hidden_column(owner, owner_client, book):
    set_columns(performer=owner, columns=["customer"])
    assert names(owner_client.get(LIST_URL, {"sort": "-earnings"})) == ["big", "small"]
    assert names(owner_client.get(LIST_URL, {"sort": "earnings"})) == ["small", "big"]
