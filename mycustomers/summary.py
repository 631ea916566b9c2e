"""The summary strip above the main view: what needs the performer today, each figure a
link to the view that lists it.

The four figures come from one query of scalar subqueries, each on its own index (as
``default_list_counts``: one aggregate with a FILTER per figure reads every customer row), and
are cached by the performer's data version (mycustomers.counts). Overdue and this month's
earnings also move with the calendar, so today's date and time zone are part of the key; New
moves with the clock, so the cached figures say until when they hold (the oldest new
customer's last day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactEvent
from mycustomers.counts import cached
from mycustomers.models import (
    Customer,
    Performer,
    count_subquery,
    default_list_q,
    start_of_day,
)
from mycustomers.tables import money


@dataclass(frozen=True)
class SummaryItem:
    label: str
    figure: str
    url: str
    # The figure asks for the performer's attention (missed calls, overdue customers).
    attention: bool = False


def _scalar(rows: models.QuerySet, aggregate: models.Aggregate, default) -> Coalesce:
    """One aggregate over ``rows`` (all of one performer) as a scalar subquery."""
    value = rows.order_by().values("performer").annotate(value=aggregate).values("value")
    return Coalesce(models.Subquery(value), default)


def figures(performer: Performer, today: date, now: datetime) -> dict:
    """The strip's numbers: ``new``, ``missed``, ``overdue``, ``earnings`` (this calendar
    month, from the events of the customers the main view shows), and ``new_until`` (when the
    New figure may next drop by itself)."""

    def compute() -> dict:
        # Built here, not before the cache is asked: building them costs a cached page more
        # than reading the cache does.
        customers = Customer.objects.for_performer(performer)
        visible = customers.visible()
        month_start = start_of_day(today.replace(day=1))
        # Only customers contacted this month can have earned this month: each one's events
        # since the 1st are a range of the event index (performer, customer, time).
        month_events = ContactEvent.objects.for_performer(performer).filter(
            occurred_at__gte=month_start,
            customer__in=visible.filter(last_contact__gte=month_start).values("pk"),
        )
        new = customers.filter(default_list_q("new", now))
        values = (
            Performer.objects.filter(pk=performer.pk)
            .values(
                new=count_subquery(new),
                oldest_new=_scalar(new, models.Min("first_contact"), None),
                missed=count_subquery(visible.with_missed_call()),
                overdue=count_subquery(visible.overdue(today)),
                earnings=_scalar(month_events, models.Sum("amount"), Decimal("0")),
            )
            .get()
        )
        oldest = values.pop("oldest_new")
        days = settings.MYCUSTOMERS["NEW_CUSTOMER_DAYS"]
        return {**values, "new_until": oldest + timedelta(days=days) if oldest else None}

    def fresh(value: dict) -> bool:
        return value["new_until"] is None or now < value["new_until"]

    zone = str(timezone.get_current_timezone())  # the month starts at midnight there
    return cached(performer, ("summary", today.isoformat(), zone), compute, fresh=fresh)


def new_until(performer: Performer) -> datetime | None:
    """When a customer next stops being new by time alone (their 30 days over), or None
    while nobody is new: until then New, Unassigned and every view that reads them show the
    same customers unless the performer's data changes."""
    return figures(performer, timezone.localdate(), timezone.now())["new_until"]


def _link(**params) -> str:
    return f"{reverse('customers:list')}?{urlencode(params)}"


def summary_items(performer: Performer) -> list[SummaryItem]:
    """The strip, in the performer's time zone (the request's, see PerformerTimeZoneMiddleware)."""
    today, now = timezone.localdate(), timezone.now()
    numbers = figures(performer, today, now)
    month_start = today.replace(day=1)
    return [
        SummaryItem("New customers", f"{numbers['new']:,}", _link(list="new")),
        SummaryItem(
            "Missed calls to return",
            f"{numbers['missed']:,}",
            _link(missed=1),
            attention=numbers["missed"] > 0,
        ),
        SummaryItem(
            f"Earned in {today:%B}",
            money(numbers["earnings"]),
            _link(contact_after=month_start.isoformat(), sort="-earnings"),
        ),
        SummaryItem(
            "Overdue now",
            f"{numbers['overdue']:,}",
            _link(overdue=1),
            attention=numbers["overdue"] > 0,
        ),
    ]
