from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from contacts.mail import send_mail
from contacts.models import ContactEvent, MailDelivery
from contacts.reconcile import find_drift
from contacts.services import NewEvent, record_valid_events
from contacts.types import ContactType
from mycustomers.models import Customer
from mycustomers.services import dismiss_missed_call
from tests.factories import add_event

pytestmark = pytest.mark.django_db

YEAR_0 = "0001-01-01T00:00:00+14:00"  # year 0 (1 BC) in UTC
YEAR_10000 = "9999-12-31T23:59:59-12:00"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("remove_events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def insert_raw_event(customer: Customer, occurred_at: str, type: str = "chat") -> int:
    """An event as an import left it before times were range-checked: the row only."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ContactEvent._meta.db_table}
                (performer_id, customer_id, type, occurred_at, amount, quantity, reference,
                 summary, recorded_at)
            VALUES (%s, %s, %s, %s::timestamptz, 5, 1, 'BAD-1', 'bad', now())
            RETURNING id
            """,
            [customer.performer_id, customer.pk, type, occurred_at],
        )
        return cursor.fetchone()[0]


def import_unchecked(performer, member: str, occurred_at: str, type: str = "chat") -> None:
    """An event recorded with its counters, as import_events did before it checked times."""
    event = NewEvent(member, type, datetime.fromisoformat(occurred_at), reference=f"R{type}")
    record_valid_events(performer=performer, events=[event])


@pytest.fixture
def alice(owner):
    return add_event(owner, "alice", ContactType.CALL_RECEIVED, amount=10, ago=timedelta(days=3))


def test_it_removes_a_raw_out_of_range_row_and_recounts_its_customer(owner, alice):
    bad = insert_raw_event(alice, YEAR_0)

    out, err = run("--performer", "owner", "--id", str(bad))

    assert not ContactEvent.objects.filter(pk=bad).exists()
    assert ContactEvent.objects.filter(customer=alice).count() == 1
    assert find_drift([owner.pk]) == []
    record = json.loads(out)
    assert record["occurred_at"] == "0001-12-31 10:00:00+00 BC"
    assert (record["performer"], record["member"], record["reference"]) == (
        "owner",
        "alice",
        "BAD-1",
    )
    assert "Removed 1 event(s) of owner; the recount changed" in err


def test_out_of_range_removes_every_such_event_and_repairs_the_customer(owner, alice):
    good_first = alice.first_contact
    import_unchecked(owner, "alice", YEAR_0)
    import_unchecked(owner, "alice", YEAR_10000, ContactType.CALL_RECEIVED)

    out, err = run("--performer", "owner", "--out-of-range")

    assert len(out.splitlines()) == 2
    alice.refresh_from_db()
    assert (alice.first_contact, alice.live_calls, alice.earnings) == (good_first, 1, 10)
    assert alice.last_contact == good_first
    assert find_drift([owner.pk]) == []
    assert "the recount changed 1 customer(s)" in err
    assert owner_client_renders(owner, alice)


def owner_client_renders(owner, customer) -> bool:
    from django.test import Client

    client = Client()
    client.force_login(owner)
    return all(
        client.get(url).status_code == 200 for url in ("/customers/", f"/customers/{customer.pk}/")
    )


def test_a_removed_clearing_event_no_longer_keeps_the_missed_call_flag_down(owner):
    customer = add_event(owner, "bob", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    import_unchecked(owner, "bob", YEAR_10000, ContactType.CALL_RECEIVED)  # clears the flag
    assert Customer.objects.get(pk=customer.pk).has_missed_call is False

    run("--performer", "owner", "--out-of-range")

    customer.refresh_from_db()
    assert customer.has_missed_call is True
    assert customer.missed_call_cleared_at is None
    assert find_drift([owner.pk]) == []


def test_a_dismissal_of_the_flag_is_kept(owner):
    customer = add_event(owner, "bob", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    dismiss_missed_call(performer=owner, customer=customer)
    import_unchecked(owner, "bob", YEAR_10000, ContactType.CALL_RECEIVED)

    run("--performer", "owner", "--out-of-range")

    customer.refresh_from_db()
    assert customer.has_missed_call is False
    assert abs(customer.missed_call_cleared_at - timezone.now()) < timedelta(minutes=1)


def test_it_removes_by_reference(owner, alice):
    add_event(owner, "alice", ContactType.CHAT, quantity=4, reference="P-7")

    run("--performer", "owner", "--reference", "P-7")

    alice.refresh_from_db()
    assert alice.chat_volleys == 0
    assert not ContactEvent.objects.filter(reference="P-7").exists()


def test_the_printed_lines_import_the_events_again(owner, alice, tmp_path):
    add_event(owner, "alice", ContactType.CHAT, quantity=4, amount="2.50", reference="P-7")
    out, _ = run("--performer", "owner", "--reference", "P-7")
    path = tmp_path / "removed.jsonl"
    path.write_text(out)

    call_command("import_events", str(path), stdout=StringIO())

    alice.refresh_from_db()
    assert (alice.chat_volleys, alice.earnings) == (4, 12.5)
    assert ContactEvent.objects.get(reference="P-7").summary == ""


def test_each_removed_event_is_logged_for_the_audit_trail(owner, alice, caplog):
    bad = insert_raw_event(alice, YEAR_10000)

    with caplog.at_level(logging.WARNING, logger="contacts.audit"):
        run("--performer", "owner", "--id", str(bad))

    (entry,) = [r for r in caplog.records if r.name == "contacts.audit"]
    assert f"Removed contact event {bad} (customer {alice.pk})" in entry.getMessage()
    assert "10000-01-01 11:59:59+00" in entry.getMessage()


def test_a_dry_run_prints_the_events_and_removes_nothing(owner, alice):
    bad = insert_raw_event(alice, YEAR_0)

    out, err = run("--performer", "owner", "--out-of-range", "--dry-run")

    assert json.loads(out)["reference"] == "BAD-1"
    assert "Would remove 1 event(s) of owner." in err
    assert ContactEvent.objects.filter(pk=bad).exists()


def test_another_performers_event_is_not_found_and_nothing_is_removed(owner, colleague, alice):
    theirs = add_event(colleague, "alice").events.get()
    own = alice.events.get()

    with pytest.raises(CommandError, match=rf"owner has no event with id .*{theirs.pk}"):
        run("--performer", "owner", "--id", str(own.pk), str(theirs.pk))

    assert ContactEvent.objects.filter(pk__in=[own.pk, theirs.pk]).count() == 2


def test_an_unknown_reference_removes_nothing(owner, alice):
    add_event(owner, "alice", reference="P-1")
    with pytest.raises(CommandError, match="no event with id or reference 'P-2'"):
        run("--performer", "owner", "--reference", "P-1", "P-2")
    assert ContactEvent.objects.filter(reference="P-1").exists()


def test_a_mail_events_delivery_stays_without_its_event(owner, alice):
    send_mail(
        performer=owner, customers=Customer.objects.filter(pk=alice.pk), subject="Hi", body="x"
    )
    mail_event = ContactEvent.objects.get(type=ContactType.MAIL_SENT)

    run("--performer", "owner", "--id", str(mail_event.pk))

    alice.refresh_from_db()
    assert alice.mail_sent == 0
    assert MailDelivery.objects.get(customer=alice).event is None


def test_it_needs_a_choice_of_events_and_a_known_performer(owner):
    with pytest.raises(CommandError, match="Choose the events"):
        run("--performer", "owner")
    with pytest.raises(CommandError, match="Unknown performer 'nobody'"):
        run("--performer", "nobody", "--out-of-range")
