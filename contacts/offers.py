"""Offers a performer sends to one customer (SPEC §2 Offer, D1 Send Offer, D10 Offers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from contacts.models import Activity, ActivityVerb, Offer
from mycustomers.errors import ActionError
from mycustomers.models import Customer, CustomerStatus, Performer
from mycustomers.money import money
from mycustomers.once import create_once

MIN_VALUE = Decimal("0.01")
MAX_VALUE = Decimal("10000.00")
MAX_MESSAGE = Offer._meta.get_field("message").max_length


@dataclass(frozen=True)
class OfferTotals:
    count: int
    value: Decimal


def offer_totals(*, performer: Performer, customer: Customer) -> OfferTotals:
    """Count and total value of every offer sent to the customer, redeemed or not."""
    totals = (
        Offer.objects.for_performer(performer)
        .filter(customer=customer)
        .aggregate(count=Count("pk"), value=Sum("value"))
    )
    return OfferTotals(count=totals["count"], value=totals["value"] or Decimal("0"))


def send_offer(
    *,
    performer: Performer,
    customer: Customer,
    value: Decimal,
    expires_at: datetime | None = None,
    message: str = "",
    token: UUID | None = None,
) -> Offer:
    """Record an offer and log it. Blocked and deleted customers cannot be sent offers.
    ``token`` (the form's, ``mycustomers.once``): the same form again raises ``AlreadyDone``."""
    if not value.is_finite() or not MIN_VALUE <= value <= MAX_VALUE or value != round(value, 2):
        raise ActionError(
            f"An offer is worth between {money(MIN_VALUE)} and {money(MAX_VALUE)} (cents at most)."
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ActionError("An offer must expire in the future.")
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise ActionError(f"The message can be at most {MAX_MESSAGE} characters.")
    with transaction.atomic():
        # Lock the row: a concurrent block must not slip between the check and the insert.
        status = (
            Customer.objects.for_performer(performer)
            .select_for_update()
            .filter(pk=customer.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            raise ActionError("That customer is not yours.")
        if status == CustomerStatus.BLOCKED:
            raise ActionError("You can't send offers to a blocked customer. Unblock them first.")
        if status == CustomerStatus.DELETED:
            raise ActionError("You can't send offers to a deleted customer. Restore them first.")
        offer = create_once(
            Offer,
            performer=performer,
            customer=customer,
            value=value,
            expires_at=expires_at,
            message=message,
            token=token,
        )
        detail = money(value)
        if expires_at is not None:
            detail += f", expires {timezone.localdate(expires_at):%b %-d, %Y}"
        Activity.objects.create(
            performer=performer, customer=customer, verb=ActivityVerb.OFFER_SENT, detail=detail
        )
    return offer
