"""The rhythm in words on the detail page and the caller card, and the re-contact alert that
follows it (R5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts import rhythm
from contacts.types import ContactType
from mycustomers.insights import customer_insights
from tests.factories import add_event

pytestmark = pytest.mark.django_db


def paid(owner, name: str, *days: int):
    for d in days:
        customer = add_event(owner, name, ContactType.MAIL_RECEIVED, amount=5, ago=timedelta(d))
    return customer


def page_text(client, customer) -> str:
    return " ".join(
        client.get(reverse("customers:detail", args=[customer.pk])).content.decode().split()
    )


def test_the_detail_page_says_the_rhythm_in_words(owner, owner_client):
    regular = paid(owner, "ann", 47, 36, 25)  # every 11 days, quiet 25: 2.3 times
    rhythm.refresh(owner)
    due = timezone.localdate() - timedelta(days=14)
    words = (
        "Usually every 11 days; quiet for 25 days, 2.3× longer than usual; "
        f"was due {due:%b} {due.day}"
    )
    body = page_text(owner_client, regular)
    assert words in body
    assert "Segment</dt><dd>Lost" in body  # the only paying customer scores 1 on each
    assert "Time to get in touch:</strong> " + words in body


def test_a_customer_within_their_rhythm_gets_no_alert_even_after_the_fixed_days(
    owner, owner_client, settings
):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "RECONTACT_ALERT_DAYS": 30}
    slow = paid(owner, "slow", 200, 120, 40)  # every 80 days, quiet 40: 0.5 times
    assert not customer_insights(slow).needs_recontact
    assert "Time to get in touch" not in page_text(owner_client, slow)


def test_without_a_usual_gap_the_alert_falls_back_to_the_fixed_days(owner, owner_client):
    once = paid(owner, "once", 45)
    insights = customer_insights(once)
    assert insights.needs_recontact and insights.overdue_factor is None
    body = page_text(owner_client, once)
    assert "Not enough paid days yet to know their rhythm: 1 of the 3 needed" in body
    assert "your last contact was 45 days ago (more than 30)" in body


def test_the_caller_card_says_the_rhythm(owner, owner_client):
    paid(owner, "ann", 30, 20, 10)
    rhythm.refresh(owner)
    card = owner_client.get(reverse("customers:lookup"), {"member": "ann"}).content.decode()
    assert "Usually every 10 days; last paid 10 days ago; due " in card
    assert "Segment</dt><dd>Lost, trend new" in card
