"""Contact history (SPEC D10) and purchase details: calls, mails and chats of the last 16
months with purchase links; every offer with count and value; ratings and feedback."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactEvent, Feedback, Offer
from contacts.types import ContactType
from mycustomers.insights import history_months, history_since
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def history(client, customer, **query):
    return client.get(reverse("customers:history", args=[customer.pk]), query)


def shown_ids(response) -> list[int]:
    contacts = response.content.decode().split('id="contacts"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'data-id="(\d+)"', contacts)]


def event(customer, **filters) -> ContactEvent:
    return ContactEvent.objects.get(customer=customer, **filters)


def test_it_shows_calls_mails_and_chats_of_the_last_16_months(owner_client, owner):
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, ago=timedelta(days=30))
    add_event(owner, "alice", ContactType.MAIL_SENT_SOLD, ago=timedelta(days=200), amount=4)
    add_event(owner, "alice", ContactType.CHAT, ago=timedelta(days=455), quantity=3)
    add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(days=17 * 31))
    add_event(owner, "alice", ContactType.GOODY_BAG, ago=timedelta(days=3), amount=9)

    response = history(owner_client, customer)

    assert response.status_code == 200
    shown = {ContactEvent.objects.get(pk=pk).type for pk in shown_ids(response)}
    assert shown == {ContactType.CALL_RECEIVED, ContactType.MAIL_SENT_SOLD, ContactType.CHAT}


def months_before(now: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months earlier (at most the 28th: every month has it)."""
    index = now.year * 12 + now.month - 1 - months
    return now.replace(year=index // 12, month=index % 12 + 1, day=min(now.day, 28))


def test_an_event_17_months_old_is_not_shown_but_one_15_months_old_is(owner_client, owner):
    now = timezone.now()
    customer = make_customer(owner, "bob", ago=now - months_before(now, 17))
    add_event(owner, "bob", ContactType.MAIL_RECEIVED, ago=now - months_before(now, 15))
    old = event(customer, type=ContactType.CALL_RECEIVED)
    recent = event(customer, type=ContactType.MAIL_RECEIVED)
    assert shown_ids(history(owner_client, customer)) == [recent.pk]
    assert old.occurred_at < history_since() < recent.occurred_at


def test_the_window_is_a_setting(owner_client, owner, settings):
    customer = make_customer(owner, "carol", ago=timedelta(days=100))
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "HISTORY_MONTHS": 2}
    assert shown_ids(history(owner_client, customer)) == []
    assert "last 2 months" in history(owner_client, customer).content.decode()


def test_the_window_is_whole_calendar_months_the_current_one_included():
    now = datetime(2025, 5, 15, 12, tzinfo=UTC)
    assert history_since(now) == datetime(2024, 2, 1, tzinfo=UTC)
    months = history_months(now)
    assert len(months) == 16
    assert (months[0], months[-1]) == (date(2024, 2, 1), date(2025, 5, 1))
    assert history_months(datetime(2025, 1, 31, tzinfo=UTC))[0] == date(2023, 10, 1)


def test_paid_events_link_to_their_purchase_details(owner_client, owner):
    customer = add_event(owner, "dan", ContactType.CALL_RECEIVED, amount="30.00", reference="P9")
    add_event(owner, "dan", ContactType.MAIL_RECEIVED)
    paid = event(customer, reference="P9")
    free = event(customer, type=ContactType.MAIL_RECEIVED)
    body = history(owner_client, customer).content.decode()
    assert f'href="{paid.get_absolute_url()}"' in body
    assert free.get_absolute_url() not in body


def test_it_pages_by_fifty_and_sorts(owner_client, owner):
    customer = make_customer(owner, "eve", ago=timedelta(days=1))
    for day in range(2, 61):
        add_event(owner, "eve", ContactType.MAIL_RECEIVED, ago=timedelta(days=day), amount=day)
    # Neither counts: not a call, mail or chat; before the window.
    add_event(owner, "eve", ContactType.GOODY_BAG, ago=timedelta(days=5))
    add_event(owner, "eve", ContactType.CHAT, ago=timedelta(days=600))
    first = history(owner_client, customer)
    assert len(shown_ids(first)) == 50
    assert "1–50 of 60" in first.content.decode()
    assert len(shown_ids(history(owner_client, customer, **{"events-page": 2}))) == 10
    by_amount = shown_ids(history(owner_client, customer, **{"events-sort": "-amount"}))
    amounts = [ContactEvent.objects.get(pk=pk).amount for pk in by_amount]
    assert amounts == sorted(amounts, reverse=True)


def test_the_offers_section_lists_every_offer_with_count_and_value(owner_client, owner):
    customer = make_customer(owner, "fay")
    now = timezone.now()
    Offer.objects.create(
        performer=owner, customer=customer, value=Decimal("10.00"), redeemed_at=now
    )
    Offer.objects.create(
        performer=owner,
        customer=customer,
        value=Decimal("4.50"),
        expires_at=now - timedelta(days=1),
        message="Last chance",
    )
    Offer.objects.create(
        performer=owner, customer=customer, value=Decimal("1.25"), sent_at=now - timedelta(days=900)
    )
    body = history(owner_client, customer).content.decode()
    assert "3 sent, worth $15.75 in all" in body
    assert "Redeemed" in body and "Expired" in body and "Open" in body
    assert "Last chance" in body


def test_the_ratings_and_feedback_section(owner_client, owner):
    customer = make_customer(owner, "gil")
    Feedback.objects.create(performer=owner, customer=customer, rating=2, comment="Too short")
    body = history(owner_client, customer).content.decode()
    assert "Ratings and feedback" in body
    assert "2 / 5" in body and "Too short" in body


def test_the_chart_is_inline_svg_with_a_data_table(owner_client, owner):
    customer = make_customer(owner, "hop", ago=timedelta(days=3), amount="5.00")
    add_event(owner, "hop", ContactType.CHAT, ago=timedelta(days=2), amount="36.50")
    response = history(owner_client, customer)
    body = response.content.decode()
    assert body.count('<svg class="chart-svg"') == 2
    assert body.count('<rect class="chart-bar"') == 32
    assert 'role="img"' in body and "<title" in body
    # Strict CSP: presentation attributes and classes, never style attributes.
    assert "style=" not in body.split('<main id="main"', 1)[1]
    assert "Show the monthly figures as a table" in body
    assert '<th scope="row">Total</th><td class="num">$41.50</td><td class="num">2</td>' in body


def test_the_chart_says_so_when_the_months_are_quiet(owner_client, owner):
    customer = make_customer(owner, "ian", ago=timedelta(days=600))
    body = history(owner_client, customer).content.decode()
    assert "No contacts in the last 16 months." in body
    assert "<svg" not in body


# --- Purchase details -------------------------------------------------------------------


def test_the_purchase_page_shows_the_event(owner_client, owner):
    customer = add_event(
        owner,
        "ida",
        ContactType.CALL_FEATURED_RECEIVED,
        amount="18.40",
        quantity=1,
        reference="PUR-42",
        summary="12 minutes, love reading",
    )
    purchase = event(customer, reference="PUR-42")
    response = owner_client.get(purchase.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Call from Top Picks / Featured Listing Received",
        "$18.40",
        "PUR-42",
        "12 minutes, love reading",
        "Call",
        f'href="{customer.get_absolute_url()}#contacts"',
        reverse("customers:history", args=[customer.pk]),
    ):
        assert text in body


def test_an_event_of_another_customer_is_a_404(owner_client, owner):
    alice = add_event(owner, "alice", amount=3)
    bob = make_customer(owner, "bob")
    url = reverse("customers:purchase", args=[bob.pk, alice.events.get().pk])
    assert owner_client.get(url).status_code == 404


def test_an_event_of_another_performer_is_a_404(owner_client, owner, colleague):
    mine = make_customer(owner, "alice")
    theirs = add_event(colleague, "alice", amount=3)
    url = reverse("customers:purchase", args=[mine.pk, theirs.events.get().pk])
    assert owner_client.get(url).status_code == 404
    url = reverse("customers:purchase", args=[theirs.pk, theirs.events.get().pk])
    assert owner_client.get(url).status_code == 404


def test_history_of_another_performers_customer_is_a_404(owner_client, colleague):
    theirs = make_customer(colleague, "alice")
    assert history(owner_client, theirs).status_code == 404
