from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from mycustomers.models import Customer, Member, Performer, WorkerBeat


class PerformerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Performer
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"performer{n}")
    password = factory.django.Password("correct horse battery")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Member{n:04d}")


def add_event(
    performer: Performer,
    member_name: str,
    type: str = ContactType.CALL_RECEIVED,
    *,
    ago: timedelta = timedelta(days=1),
    amount: Decimal | str | int = 0,
    quantity: int = 1,
    reference: str | None = None,
    summary: str = "",
) -> Customer:
    """Record one event the way production does, and return the customer, fresh."""
    record_events(
        performer=performer,
        events=[
            NewEvent(
                member_name=member_name,
                type=type,
                occurred_at=timezone.now() - ago,
                amount=Decimal(amount),
                quantity=quantity,
                reference=reference,
                summary=summary,
            )
        ],
    )
    return Customer.objects.get(performer=performer, member_name=member_name)


def make_customer(performer: Performer, member_name: str, **event_kwargs) -> Customer:
    """A customer with one (by default old) call, so they are neither new nor flagged."""
    event_kwargs.setdefault("ago", timedelta(days=90))
    return add_event(performer, member_name, **event_kwargs)


def worker_seen(
    worker_id: str, ago: timedelta, *, stopped: bool = False, host: str = "", pid: int | None = None
) -> WorkerBeat:
    """A background worker last seen ``ago`` (and then stopped cleanly, if ``stopped``), that
    ran as process ``pid`` of ``host``."""
    when = timezone.now() - ago
    return WorkerBeat.objects.create(
        worker_id=worker_id,
        seen_at=when,
        stopped_at=when if stopped else None,
        host=host,
        pid=pid,
    )
