"""Cached counts and totals (mycustomers.counts) are never stale after a new event: a counter,
the earnings or the last contact type may be what a view filters or sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contacts.types import ContactType
from tests.customers.main_view_helpers import get
from tests.factories import add_event

# The data version moves at commit.
pytestmark = pytest.mark.django_db(transaction=True)


def total_earnings(client) -> str:
    return next(text for _css, text in get(client).context["totals"] if text.startswith("$"))


def test_the_total_row_follows_a_new_event(owner, owner_client):
    add_event(owner, "ann", amount=10)
    assert total_earnings(owner_client) == "$10.00"
    add_event(owner, "ann", amount=5)
    assert total_earnings(owner_client) == "$15.00"


def test_a_range_filter_count_follows_a_new_event(owner, owner_client):
    add_event(owner, "ann", amount=60)
    assert get(owner_client, earnings_min=100).context["table"].paginator.count == 0
    add_event(owner, "ann", amount=Decimal("40.00"))
    assert get(owner_client, earnings_min=100).context["table"].paginator.count == 1


def test_a_last_contact_type_count_follows_a_new_event(owner, owner_client):
    add_event(owner, "ann", ContactType.CALL_RECEIVED)
    assert get(owner_client, type="chat").context["table"].paginator.count == 0
    add_event(owner, "ann", ContactType.CHAT)
    assert get(owner_client, type="chat").context["table"].paginator.count == 1
