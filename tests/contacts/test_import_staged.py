"""A staged import batch (each customer written once) against the way record_events does it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts import rhythm, services, sql
from contacts.models import ContactEvent
from contacts.reconcile import find_drift
from contacts.services import NewEvent, record_events, record_valid_events
from contacts.types import ContactType
from mycustomers.models import Customer, CustomerStatus
from tests.factories import PerformerFactory

pytestmark = pytest.mark.django_db

KINDS = [ContactType.CALL_RECEIVED, ContactType.CALL_MISSED, ContactType.CHAT]
KINDS += [ContactType.MAIL_SENT, ContactType.GOODY_BAG, ContactType.FEED_SUBSCRIPTION]
# Every field a batch may change (ids and creation times aside).
FIELDS = [
    f.name
    for f in Customer._meta.concrete_fields
    if f.name not in ("id", "performer", "member", "created_at", "status_changed_at")
]


def prepare(username: str, now=None):
    """A performer with known customers: paying, deleted, blocked, with references."""
    performer = PerformerFactory(username=username)
    now = now or timezone.now()
    record_events(
        performer=performer,
        events=[
            NewEvent(
                f"known{n % 6}",
                KINDS[n % len(KINDS)],
                now - timedelta(days=3 * n + 2),
                Decimal(n % 4),
                1 + n % 2,
                f"old{n}",
            )
            for n in range(40)
        ],
    )
    Customer.objects.filter(performer=performer, member_name="known4").update(
        status=CustomerStatus.DELETED
    )
    Customer.objects.filter(performer=performer, member_name="known5").update(
        status=CustomerStatus.BLOCKED
    )
    return performer


def batch() -> list[NewEvent]:
    now = timezone.now()
    events = [
        NewEvent(
            f"known{n // 3 % 6}" if n % 3 == 0 else f"fresh{n % 11}",
            KINDS[n % len(KINDS)],
            now - timedelta(days=(n * 7) % 400, hours=n % 2),
            Decimal(f"{n % 5}.25") if n % 4 else Decimal("0"),
            1 + n % 3,
            f"new{n}" if n % 5 else None,
            f"summary {n}",
        )
        for n in range(700)
    ]
    # Ties at one instant, a customer's last: the last of them sets the last contact type.
    for name, later in (("fresh-tie", now), ("known2", now + timedelta(minutes=1))):
        events += [
            NewEvent(name, kind, later) for kind in (ContactType.CHAT, ContactType.CALL_MISSED)
        ]
    # Already recorded: skipped, and "dupes-only" is created with nothing counted.
    events += [NewEvent("known1", ContactType.CHAT, now, Decimal("9"), 1, "old3")]
    events += [NewEvent("dupes-only", ContactType.CHAT, now, Decimal("9"), 1, "old5")]
    return events


def state(performer) -> dict[str, dict]:
    return {
        c["member_name"]: c
        for c in Customer.objects.filter(performer=performer).order_by().values(*FIELDS)
    }


def test_a_staged_batch_leaves_every_customer_as_record_events_would(monkeypatch):
    now = timezone.now()
    staged, classic = prepare("staged", now), prepare("classic", now)
    events = batch()
    used = []
    stage = services._record_staged
    monkeypatch.setattr(services, "_record_staged", lambda *a: used.append(1) or stage(*a))

    assert record_valid_events(performer=staged, events=events) == len(events) - 2
    assert used == [1]
    monkeypatch.setattr(services, "COPY_FROM", 10**9)
    assert record_valid_events(performer=classic, events=events) == len(events) - 2
    assert used == [1]

    got, expected = state(staged), state(classic)
    assert {
        (name, f, row[f], expected[name][f])
        for name, row in got.items()
        for f in FIELDS
        if row[f] != expected[name][f]
    } == set()
    assert state(staged)["known4"]["status"] == CustomerStatus.ACTIVE  # back (A5)
    assert state(staged)["known5"]["status"] == CustomerStatus.BLOCKED
    assert state(staged)["dupes-only"]["chat_volleys"] == 0
    assert state(staged)["fresh-tie"]["last_contact_type"] == ContactType.CALL_MISSED
    assert find_drift() == []
    assert rhythm.find_drift(staged) == []
    order = list(
        ContactEvent.objects.filter(performer=staged, reference__startswith="new")
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert order == [e.summary for e in events[:700] if e.reference]


# A reference recorded by a concurrent writer after the batch was checked: as if the check
# missed "old3" (already recorded), or as if "new1" went in just before the insert.
RACES = {
    "before the check": (
        "MARK_RECORDED",
        lambda sql_text: "UPDATE event_stage SET recorded = false WHERE %(performer)s < 0",
    ),
    "before the insert": (
        "INSERT_STAGED_EVENTS",
        lambda sql_text: (
            "INSERT INTO contacts_contactevent (performer_id, customer_id, type, occurred_at, "
            "amount, quantity, reference, summary, recorded_at) SELECT performer_id, "
            "customer_id, type, occurred_at, amount, quantity, 'new1', summary, now() "
            "FROM contacts_contactevent WHERE performer_id = %(performer)s LIMIT 1; " + sql_text
        ),
    ),
}


@pytest.mark.parametrize("race", RACES)
def test_a_reference_recorded_meanwhile_sends_the_batch_the_way_record_events_goes(
    monkeypatch, race
):
    name, replace = RACES[race]
    monkeypatch.setattr(sql, name, replace(getattr(sql, name)))
    performer = prepare("raced")
    staged = []
    stage = services._stage
    monkeypatch.setattr(services, "_stage", lambda *a: staged.append(1) or stage(*a))
    events = batch()

    assert record_valid_events(performer=performer, events=events) == len(events) - 2

    assert staged == [1]  # sent again, the other way
    assert ContactEvent.objects.filter(performer=performer).count() == 40 + len(events) - 2
    assert find_drift() == []
    assert rhythm.find_drift(performer) == []


def test_the_unique_reference_constraint_is_the_one_named():
    assert sql.UNIQUE_REFERENCE in {c.name for c in ContactEvent._meta.constraints}
