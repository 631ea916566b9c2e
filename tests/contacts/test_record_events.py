from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from contacts import sql
from contacts.models import ContactEvent
from contacts.services import EventError, NewEvent, record_events
from contacts.types import EFFECTS, ContactType, MissedCall
from mycustomers.models import COUNTER_FIELDS, Customer, CustomerStatus
from mycustomers.services import dismiss_missed_call
from tests.factories import PerformerFactory, add_event

pytestmark = pytest.mark.django_db


def counters(customer: Customer) -> dict[str, int]:
    return {field: getattr(customer, field) for field in COUNTER_FIELDS}


@pytest.mark.parametrize("contact_type", ContactType.values)
def test_each_type_moves_exactly_its_counter(owner, contact_type):
    effect = EFFECTS[contact_type]
    customer = add_event(owner, "alice", contact_type, amount="2.50", quantity=3)

    expected = dict.fromkeys(COUNTER_FIELDS, 0)
    if effect.counter:
        expected[effect.counter] = 3 if effect.by_quantity else 1
    assert counters(customer) == expected
    assert customer.earnings == Decimal("2.50")
    assert customer.last_contact_type == contact_type
    assert customer.has_missed_call is (effect.missed_call is MissedCall.SETS)


@pytest.mark.parametrize(
    "clearing_type", [c for c, e in EFFECTS.items() if e.missed_call is MissedCall.CLEARS]
)
def test_a_clearing_event_after_a_missed_call_clears_the_flag(owner, clearing_type):
    add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    customer = add_event(owner, "alice", clearing_type, ago=timedelta(hours=1))
    assert customer.has_missed_call is False


@pytest.mark.parametrize("neutral_type", [c for c, e in EFFECTS.items() if e.missed_call is None])
def test_a_neutral_event_leaves_the_flag_on(owner, neutral_type):
    add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    assert add_event(owner, "alice", neutral_type, ago=timedelta(hours=1)).has_missed_call


def test_a_clearing_event_older_than_the_missed_call_does_not_clear_it(owner):
    add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=1))
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, ago=timedelta(hours=5))
    assert customer.has_missed_call is True
    assert customer.last_contact_type == ContactType.CALL_MISSED


def test_dismissing_clears_the_flag_until_the_next_missed_call(owner):
    customer = add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=1))
    dismiss_missed_call(performer=owner, customer=customer)
    customer.refresh_from_db()
    assert customer.has_missed_call is False
    # A missed call that happened before the dismissal stays dismissed...
    assert not add_event(
        owner, "alice", ContactType.CALL_MISSED, ago=timedelta(minutes=30)
    ).has_missed_call
    # ...a later one raises the flag again.
    assert add_event(
        owner, "alice", ContactType.CALL_MISSED, ago=-timedelta(minutes=1)
    ).has_missed_call


def test_out_of_order_events_give_the_same_state_as_in_order(owner, colleague, shipping):
    now = timezone.now()
    events = [
        NewEvent("alice", ContactType.CALL_RECEIVED, now - timedelta(days=3), Decimal("10")),
        NewEvent("alice", ContactType.CALL_MISSED, now - timedelta(days=1)),
        NewEvent("alice", ContactType.CHAT, now - timedelta(days=2), Decimal("1.25"), 7),
        NewEvent("alice", ContactType.MAIL_RECEIVED, now - timedelta(days=5)),
    ]
    for event in events:
        record_events(performer=owner, events=[event])
    record_events(performer=colleague, events=list(reversed(events)))

    mine = Customer.objects.get(performer=owner)
    theirs = Customer.objects.get(performer=colleague)
    fields = [
        *COUNTER_FIELDS,
        "earnings",
        "first_contact",
        "last_contact",
        "last_contact_type",
        "has_missed_call",
    ]
    assert {f: getattr(mine, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert mine.first_contact == now - timedelta(days=5)
    assert mine.last_contact_type == ContactType.CALL_MISSED
    assert mine.has_missed_call is True
    assert mine.earnings == Decimal("11.25")


def test_a_batch_updates_many_customers_in_one_statement(owner, django_assert_max_num_queries):
    now = timezone.now()
    events = [
        NewEvent(f"member{i}", ContactType.CALL_RECEIVED, now, Decimal(1)) for i in range(300)
    ]
    with django_assert_max_num_queries(7):
        record_events(performer=owner, events=events)
    assert Customer.objects.filter(performer=owner, live_calls=1).count() == 300


def test_a_reference_already_recorded_is_skipped(owner, shipping):
    add_event(owner, "alice", ContactType.CALL_RECEIVED, amount=5, reference="P-1")
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, amount=5, reference="P-1")
    assert customer.live_calls == 1
    assert customer.earnings == Decimal(5)


def test_the_same_reference_is_fine_for_another_performer(owner, colleague):
    add_event(owner, "alice", reference="P-1")
    assert add_event(colleague, "alice", reference="P-1").live_calls == 1


def test_new_until_mailed(owner):
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, ago=timedelta(days=2))
    assert customer.is_new
    assert Customer.objects.new().filter(pk=customer.pk).exists()
    customer = add_event(owner, "alice", ContactType.MAIL_TIP_SENT, ago=timedelta(days=1))
    assert not customer.is_new
    assert not Customer.objects.new().filter(pk=customer.pk).exists()


def test_not_new_when_the_first_contact_is_older_than_30_days(owner):
    customer = add_event(owner, "alice", ago=timedelta(days=31))
    assert not customer.is_new
    # A recent contact does not make an old customer new again.
    assert not add_event(owner, "alice", ago=timedelta(hours=1)).is_new


def test_a_deleted_customer_who_contacts_again_comes_back(owner):
    customer = add_event(owner, "alice")
    Customer.objects.filter(pk=customer.pk).update(status=CustomerStatus.DELETED)
    assert add_event(owner, "alice").status == CustomerStatus.ACTIVE


def test_a_blocked_customer_stays_blocked_when_an_event_arrives(owner):
    customer = add_event(owner, "alice")
    Customer.objects.filter(pk=customer.pk).update(status=CustomerStatus.BLOCKED)
    assert add_event(owner, "alice").status == CustomerStatus.BLOCKED


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"type": "call_sold"}, "unknown contact type"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("1.234")}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"quantity": 0}, "quantity"),
        ({"member_name": ""}, "member name"),
        ({"member_name": "x" * 65}, "member name"),
        ({"reference": ""}, "reference"),
        ({"occurred_at": timezone.now().replace(tzinfo=None)}, "offset"),
        ({"member_name": "nul\x00name"}, "NUL"),
        ({"summary": "a\x00b"}, "NUL"),
        ({"reference": "r\x00"}, "NUL"),
        ({"occurred_at": datetime.fromisoformat("0001-01-01T00:00:00+14:00")}, "outside"),
        ({"occurred_at": datetime.fromisoformat("9999-12-31T23:59:59-12:00")}, "outside"),
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "outside"),
    ],
)
def test_invalid_events_are_refused_and_nothing_is_written(owner, bad, message):
    good = {"member_name": "alice", "type": ContactType.CHAT, "occurred_at": timezone.now()}
    with pytest.raises(EventError, match=message):
        record_events(performer=owner, events=[NewEvent(**good), NewEvent(**{**good, **bad})])
    assert not ContactEvent.objects.exists()
    assert not Customer.objects.exists()


def test_events_cannot_be_edited_in_the_database(owner):
    add_event(owner, "alice")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        ContactEvent.objects.update(amount=100)


def test_negative_amounts_are_refused_by_the_database_too(owner):
    customer = add_event(owner, "alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactEvent.objects.create(
            performer=owner,
            customer=customer,
            type="chat",
            occurred_at=timezone.now(),
            amount=-1,
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_counters_equal_to_a_recount():
    performer = PerformerFactory(username="busy")
    members = [f"m{i}" for i in range(20)]
    writers, batches_per_writer, batch_size = 4, 5, 100
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            start.wait()
            for batch in range(batches_per_writer):
                now = timezone.now()
                events = [
                    NewEvent(
                        members[(worker + i) % len(members)],
                        ContactType.CHAT if i % 2 else ContactType.CALL_RECEIVED,
                        now - timedelta(minutes=i + batch),
                        Decimal("1.10"),
                        2,
                    )
                    for i in range(batch_size)
                ]
                record_events(performer=performer, events=events)
        except BaseException as exc:  # surfaced below: threads swallow exceptions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = writers * batches_per_writer * batch_size
    assert ContactEvent.objects.filter(performer=performer).count() == total
    customers = Customer.objects.filter(performer=performer)
    assert sum(c.live_calls for c in customers) == total // 2
    assert sum(c.chat_volleys for c in customers) == total  # half are chats of quantity 2
    assert sum(c.earnings for c in customers) == Decimal("1.10") * total
    from contacts.reconcile import find_drift

    assert list(find_drift(performer_ids=[performer.pk])) == []


@pytest.fixture(params=["arrays", "copy"])
def shipping(request, monkeypatch):
    """Both ways a batch reaches the server: parameter arrays (small) and COPY (large)."""
    from contacts import services

    monkeypatch.setattr(services, "COPY_FROM", 10**9 if request.param == "arrays" else 1)
    return request.param


def test_text_with_tabs_newlines_and_backslashes_is_recorded_as_given(owner, shipping):
    # Events travel through COPY's text format, where these characters are escapes.
    name, summary = "back\\slash\tname", "line one\nline two\r\\N \\. end"
    recorded = record_events(
        performer=owner,
        events=[
            NewEvent(name, ContactType.CHAT, timezone.now(), reference="ref\t1", summary=summary)
        ],
    )
    event = ContactEvent.objects.get(pk=recorded[0].id)
    assert (event.customer.member_name, event.summary, event.reference) == (name, summary, "ref\t1")


def test_batches_in_one_transaction_record_each_batch_once(owner, shipping):
    now = timezone.now()
    with transaction.atomic():
        first = record_events(performer=owner, events=[NewEvent("alice", ContactType.CHAT, now)])
        second = record_events(
            performer=owner,
            events=[
                NewEvent("bob", ContactType.CHAT, now),
                NewEvent("bob", ContactType.FEED_SUBSCRIPTION, now),
            ],
        )
    assert (len(first), len(second)) == (1, 2)
    assert ContactEvent.objects.filter(performer=owner).count() == 3
    assert Customer.objects.get(performer=owner, member_name="alice").chat_volleys == 1


def test_events_are_inserted_in_the_order_given(owner, shipping):
    now = timezone.now()
    names = [f"member{n}" for n in (5, 1, 9, 3, 7)] * 3
    recorded = record_events(
        performer=owner, events=[NewEvent(name, ContactType.CHAT, now) for name in names]
    )
    ids = [r.id for r in recorded]
    assert ids == sorted(ids)
    by_id = dict(ContactEvent.objects.filter(pk__in=ids).values_list("pk", "customer__member_name"))
    assert [by_id[i] for i in ids] == names


def test_an_event_tuple_is_copied_into_the_staging_columns_in_their_order():
    assert NewEvent._fields == sql.STAGE_COLUMNS
