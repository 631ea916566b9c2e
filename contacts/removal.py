"""Removing contact events: for operators only (``manage.py remove_events``).

Events are the record every counter is derived from, and the app never removes one. A wrong
import is the exception (a time outside the accepted range, a file meant for another
performer): an operator removes those events and the performer's customers are recounted
from the events left, in one transaction. Each removed event is described in the import
format, so the record of what was removed can be imported again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from contacts.models import Activity, ActivityVerb, ContactEvent, MailDelivery
from contacts.reconcile import fix_drift
from contacts.services import event_time_range
from contacts.types import EFFECTS
from mycustomers.models import Customer
from mycustomers.selection import lock_performer

audit = logging.getLogger("contacts.audit")


@dataclass(frozen=True)
class RemovedEvent:
    id: int
    customer_id: int
    member: str
    type: str
    occurred_at: str  # as PostgreSQL prints it: the time may be outside Python's range
    amount: Decimal
    quantity: int
    reference: str | None
    summary: str

    def as_record(self, performer: str) -> dict[str, object]:
        """The event as a line of an import file (SPEC C3)."""
        return {
            "performer": performer,
            "member": self.member,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "amount": str(self.amount),
            "quantity": self.quantity,
            "reference": self.reference,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Removal:
    events: list[RemovedEvent]
    recounted: int  # customers of the performer whose derived fields the recount changed


def chosen_events(
    performer,
    *,
    ids: Collection[int] = (),
    references: Collection[str] = (),
    out_of_range: bool = False,
) -> QuerySet:
    """The performer's events with one of ``ids`` or ``references``, and with
    ``out_of_range`` every one whose time is outside ``event_time_range()``."""
    chosen = Q(pk__in=ids) | Q(reference__in=references)
    if out_of_range:
        earliest, latest = event_time_range()
        chosen |= Q(occurred_at__lt=earliest) | Q(occurred_at__gt=latest)
    return ContactEvent.objects.for_performer(performer).filter(chosen)


def describe(events: QuerySet) -> list[RemovedEvent]:
    """The events, oldest id first, read without loading their times into Python."""
    rows = events.order_by("pk").values(
        "id",
        "customer_id",
        "type",
        "amount",
        "quantity",
        "reference",
        "summary",
        member=F("customer__member_name"),
        occurred_at_text=Cast("occurred_at", TextField()),
    )
    return [RemovedEvent(occurred_at=row.pop("occurred_at_text"), **row) for row in rows]


def remove_events(*, performer, events: QuerySet) -> Removal:
    """Remove ``events`` of ``performer`` and recount the performer's customers."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock_performer(cursor, performer.pk, shared=False)  # no event batch in flight
        removed = describe(events.filter(performer=performer))
        ids = [event.id for event in removed]
        # A removed mail event leaves its delivery (who was mailed) without an event.
        MailDelivery.objects.for_performer(performer).filter(event_id__in=ids).update(event=None)
        ContactEvent.objects.for_performer(performer).filter(pk__in=ids).only("pk").delete()
        # The missed-call clearing time only grows (a recount keeps it when it is later than
        # every clearing event: a dismissal), so a removed event's time would stay. Where a
        # removed event touched the flag, start it again from the performer's dismissals; the
        # recount adds the clearing events left.
        dismissed = (
            Activity.objects.filter(
                performer=performer,
                customer=OuterRef("pk"),
                verb=ActivityVerb.MISSED_CALL_DISMISSED,
            )
            .order_by()
            .values("customer")
            .annotate(latest=Max("created_at"))
            .values("latest")
        )
        flagged = {
            e.customer_id for e in removed if getattr(EFFECTS.get(e.type), "missed_call", None)
        }
        Customer.objects.for_performer(performer).filter(pk__in=flagged).update(
            missed_call_cleared_at=Subquery(dismissed)
        )
        recounted = fix_drift([performer.pk])
    for event in removed:
        audit.warning(
            "Removed contact event %s (customer %s): %s",
            event.id,
            event.customer_id,
            json.dumps(asdict(event), default=str, ensure_ascii=False),
        )
    return Removal(removed, recounted)
