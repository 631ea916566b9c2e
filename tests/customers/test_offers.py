"""Send Offer from the detail page: value, expiry, message; recorded, logged and shown in the
insights, the history's Offers section and the activity; never to blocked or deleted customers."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, ActivityVerb, Offer
from contacts.offers import send_offer
from mycustomers.errors import ActionError
from mycustomers.models import Customer, CustomerStatus
from mycustomers.once import AlreadyDone, create_once
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(owner):
    return make_customer(owner, "alice")


def offer_url(customer):
    return reverse("customers:send_offer", args=[customer.pk])


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_the_offer_page_shows_the_form(owner_client, alice):
    response = owner_client.get(offer_url(alice), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Send an offer to alice" in body
    assert 'name="value"' in body and 'name="expires_on"' in body and 'name="message"' in body


def test_sending_an_offer_records_it_logs_it_and_goes_back(owner_client, owner, alice):
    response = owner_client.post(
        offer_url(alice), {"value": "12.50", "expires_on": in_days(10), "message": " Welcome! "}
    )
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#activity"
    offer = Offer.objects.get()
    assert (offer.performer, offer.customer, offer.value, offer.message) == (
        owner,
        alice,
        Decimal("12.50"),
        "Welcome!",
    )
    assert timezone.localdate(offer.expires_at) == timezone.localdate() + timedelta(days=10)
    assert offer.expires_at > timezone.now() + timedelta(days=10)  # through the end of that day
    assert offer.redeemed_at is None
    activity = Activity.objects.get(customer=alice, verb=ActivityVerb.OFFER_SENT)
    assert activity.detail.startswith("$12.50, expires ")

    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert "Offer of $12.50 sent." in page
    assert "Sent an offer" in page
    history = owner_client.get(reverse("customers:history", args=[alice.pk])).content.decode()
    assert "1 sent, worth $12.50 in all" in history
    assert "Welcome!" in history


def test_an_offer_without_expiry_or_message_is_fine(owner_client, alice):
    assert owner_client.post(offer_url(alice), {"value": "5"}).status_code == 302
    offer = Offer.objects.get()
    assert (offer.value, offer.expires_at, offer.message) == (Decimal("5.00"), None, "")
    assert Activity.objects.get(verb=ActivityVerb.OFFER_SENT).detail == "$5.00"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Enter the offer&#x27;s value."),
        ({"value": "0"}, "An offer is worth at least $0.01."),
        ({"value": "-5"}, "An offer is worth at least $0.01."),
        ({"value": "10.005"}, "Use at most 2 decimals (cents)."),
        ({"value": "10001"}, "An offer is worth at most $10,000."),
        ({"value": "1e9"}, "An offer is worth at most $10,000."),
        ({"value": "NaN"}, "Enter an amount such as 10 or 12.50."),
        ({"value": "ten"}, "Enter an amount such as 10 or 12.50."),
        ({"value": "10", "expires_on": "yesterday"}, "Enter a date such as 2030-12-31."),
        ({"value": "10", "expires_on": "2020-01-01"}, "Choose a date after today."),
        ({"value": "10", "expires_on": "9999-12-31"}, "Choose a date within the next five years."),
        ({"value": "10", "message": "m" * 501}, "The message can be at most 500 characters"),
    ],
)
def test_a_bad_offer_is_refused_with_a_field_error(owner_client, alice, data, error):
    response = owner_client.post(offer_url(alice), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Offer.objects.exists()
    assert not Activity.objects.filter(verb=ActivityVerb.OFFER_SENT).exists()


def test_today_is_not_a_future_expiry(owner_client, alice):
    response = owner_client.post(offer_url(alice), {"value": "10", "expires_on": in_days(0)})
    assert response.status_code == 400
    assert not Offer.objects.exists()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (CustomerStatus.BLOCKED, "You can&#x27;t send offers to a blocked customer."),
        (CustomerStatus.DELETED, "You can&#x27;t send offers to a deleted customer."),
    ],
)
def test_blocked_and_deleted_customers_cannot_be_sent_offers(owner_client, alice, status, error):
    Customer.objects.filter(pk=alice.pk).update(status=status)
    page = owner_client.get(offer_url(alice), follow=True)
    assert page.status_code == 200
    assert error in page.content.decode()
    assert 'name="value"' not in page.content.decode()

    response = owner_client.post(offer_url(alice), {"value": "10"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Offer.objects.exists()


def test_the_service_checks_the_status_itself(owner, alice):
    Customer.objects.filter(pk=alice.pk).update(status=CustomerStatus.BLOCKED)
    with pytest.raises(ActionError, match="blocked"):
        send_offer(performer=owner, customer=alice, value=Decimal("3"))


def test_the_service_refuses_bad_values(owner, alice):
    for value in (Decimal("0"), Decimal("0.001"), Decimal("10000.01"), Decimal("NaN")):
        with pytest.raises(ActionError):
            send_offer(performer=owner, customer=alice, value=value)
    with pytest.raises(ActionError):
        send_offer(
            performer=owner,
            customer=alice,
            value=Decimal("1"),
            expires_at=timezone.now() - timedelta(seconds=1),
        )
    assert not Offer.objects.exists()


def test_offers_count_in_the_insights(owner_client, owner, alice):
    send_offer(performer=owner, customer=alice, value=Decimal("10"))
    send_offer(performer=owner, customer=alice, value=Decimal("2.25"))
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert '<dt>Offers sent</dt><dd>2 <span class="muted">worth $12.25</span>' in page


def test_another_performers_customer_cannot_be_sent_an_offer(owner_client, colleague):
    theirs = make_customer(colleague, "bob")
    assert owner_client.get(offer_url(theirs)).status_code == 404
    assert owner_client.post(offer_url(theirs), {"value": "10"}).status_code == 404
    assert not Offer.objects.exists()


def test_the_service_refuses_another_performers_customer(owner, colleague):
    theirs = make_customer(colleague, "bob")
    with pytest.raises(ActionError):
        send_offer(performer=owner, customer=theirs, value=Decimal("1"))
    assert not Offer.objects.exists()


def test_the_offer_form_submitted_twice_sends_once(owner_client, alice):
    page = owner_client.get(offer_url(alice), follow=True).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)[1]
    form = {"value": "7.50", "message": "Thanks", "token": token}
    owner_client.post(offer_url(alice), form)
    again = owner_client.post(offer_url(alice), form, follow=True)
    assert "This offer was sent already: it is not sent twice." in again.content.decode()
    assert Offer.objects.count() == 1
    assert Activity.objects.filter(verb=ActivityVerb.OFFER_SENT).count() == 1
    # A new form (a new token) sends another offer.
    fresh = owner_client.get(offer_url(alice), follow=True).content.decode()
    assert token not in fresh


def test_the_offer_page_keeps_its_token_in_its_address(owner_client, alice):
    # Back or a reload fetch the page anew: the address, not the HTML, keeps its token.
    first = owner_client.get(offer_url(alice))
    assert first.status_code == 302
    token = re.fullmatch(rf"{offer_url(alice)}\?draft=([0-9a-f-]{{36}})", first.url)[1]
    again = owner_client.get(first.url).content.decode()
    assert f'name="token" value="{token}"' in again
    assert "sent already" not in again
    owner_client.post(first.url, {"value": "7.50", "token": token})
    back = owner_client.get(first.url).content.decode()
    assert "This offer was sent already" in back
    assert f'href="{offer_url(alice)}?"' in back  # a new offer: a new token


def test_only_a_used_token_counts_as_done_already(owner, alice):
    # Another constraint (the value must be positive) is an error of its own, not a repeat.
    with pytest.raises(IntegrityError):
        create_once(Offer, performer=owner, customer=alice, value=Decimal("0"), token=uuid4())
    token = uuid4()
    create_once(Offer, performer=owner, customer=alice, value=Decimal("1"), token=token)
    with pytest.raises(AlreadyDone):
        create_once(Offer, performer=owner, customer=alice, value=Decimal("1"), token=token)
