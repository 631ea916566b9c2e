"""Real concurrent connections: recording, importing and mass actions on the same customers.
Afterwards no event is lost or duplicated and every counter equals a recount."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from contacts.mail import send_mail
from contacts.models import ContactEvent
from contacts.reconcile import find_drift
from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from lists.services import create_list, set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import block_customers, delete_customers, unblock_customers
from tests.factories import PerformerFactory

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = [f"m{i:02d}" for i in range(30)]


def run_together(*jobs: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def wrap(job):
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported by the test, threads would swallow it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_recording_and_mass_actions_at_once_keep_counters_exact():
    performer = PerformerFactory(username="busy")
    now = timezone.now()
    record_events(
        performer=performer, events=[NewEvent(m, ContactType.CALL_RECEIVED, now) for m in MEMBERS]
    )
    vip = create_list(performer=performer, name="VIP")
    mine = Customer.objects.for_performer(performer)

    def recorder(offset: int):
        def job():
            for batch in range(8):
                record_events(
                    performer=performer,
                    events=[
                        NewEvent(
                            MEMBERS[(offset + i) % len(MEMBERS)],
                            ContactType.CHAT,
                            now - timedelta(seconds=batch * 60 + i),
                            Decimal("0.75"),
                            2,
                        )
                        for i in range(60)
                    ],
                )

        return job

    def actions():
        for _ in range(3):
            block_customers(performer=performer, customers=mine.filter(member_name__lt="m10"))
            set_customer_lists(performer=performer, customers=mine.visible(), lists=[vip])
            send_mail(performer=performer, customers=mine, subject="Hi", body="Hello")
            delete_customers(performer=performer, customers=mine.filter(member_name__gte="m20"))
            unblock_customers(performer=performer, customers=mine.blocked())

    errors = run_together(recorder(0), recorder(7), recorder(13), actions)

    assert errors == []
    chats = ContactEvent.objects.filter(performer=performer, type=ContactType.CHAT).count()
    assert chats == 3 * 8 * 60
    assert list(find_drift([performer.pk])) == []
    # Every mail sent produced one mail_sent event: none lost, none doubled.
    mailed = ContactEvent.objects.filter(performer=performer, type=ContactType.MAIL_SENT).count()
    assert mailed == sum(c.mail_sent for c in mine)


def test_the_same_file_imported_twice_at_once_is_recorded_once(tmp_path):
    PerformerFactory(username="importer")
    rows = ["performer,member,type,occurred_at,amount,reference"]
    rows += [
        f"importer,{MEMBERS[i % 30]},call_received,2026-01-{1 + i % 28:02d}T10:00:00+00:00,"
        f"5.00,REF-{i}"
        for i in range(600)
    ]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n")

    def importer():
        call_command("import_events", str(path), stdout=io.StringIO())

    errors = run_together(importer, importer, importer)

    assert errors == []
    assert ContactEvent.objects.filter(performer__username="importer").count() == 600
    customers = Customer.objects.filter(performer__username="importer")
    assert sum(c.live_calls for c in customers) == 600
    assert sum(c.earnings for c in customers) == Decimal("3000.00")
    assert list(find_drift()) == []
