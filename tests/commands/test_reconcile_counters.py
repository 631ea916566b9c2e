from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import ContactEvent
from contacts.reconcile import find_drift, fix_drift
from contacts.types import ContactType
from mycustomers.models import Customer
from mycustomers.services import dismiss_missed_call
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("reconcile_counters", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def alice(owner):
    add_event(owner, "alice", ContactType.CALL_RECEIVED, amount="30", ago=timedelta(days=3))
    return add_event(owner, "alice", ContactType.CHAT, quantity=5, ago=timedelta(days=2))


def test_it_says_so_when_every_counter_matches_its_events(alice):
    assert "No drift: every customer matches." in run()


def test_it_reports_each_drifted_customer_and_exits_with_status_1(owner, alice):
    Customer.objects.filter(pk=alice.pk).update(live_calls=7, earnings=Decimal("1.00"))

    with pytest.raises(CommandError) as error:
        run()

    assert error.value.returncode == 1
    assert "1 customer drifted from their events; run with --fix" in str(error.value)
    alice.refresh_from_db()
    assert alice.live_calls == 7  # reporting changes nothing


def test_the_report_names_the_customer_and_each_difference(owner, alice):
    Customer.objects.filter(pk=alice.pk).update(live_calls=7, last_contact_type="mail_sent")
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_counters", stdout=out)

    line = out.getvalue().splitlines()[0]
    assert line.startswith(f"owner / alice (customer {alice.pk}): ")
    assert "live_calls 7 → 1" in line
    assert "last_contact_type mail_sent → chat" in line


def test_fix_repairs_the_drift_and_says_how_many(owner, alice):
    make_customer(owner, "bob")
    Customer.objects.filter(member_name__in=["alice", "bob"]).update(chat_volleys=99)

    output = run("--fix")

    assert "Fixed 2 customers." in output
    alice.refresh_from_db()
    assert alice.chat_volleys == 5
    assert Customer.objects.get(member_name="bob").chat_volleys == 0
    assert find_drift() == []
    assert "No drift" in run()


def test_fix_restores_first_and_last_contact_and_the_missed_call_flag(owner):
    customer = add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=1))
    Customer.objects.filter(pk=customer.pk).update(
        first_contact=None, last_contact=None, last_missed_call_at=None
    )

    assert fix_drift() == 1

    customer.refresh_from_db()
    assert customer.has_missed_call is True
    assert customer.first_contact == customer.last_contact


def test_a_dismissed_missed_call_is_not_drift(owner):
    customer = add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=1))
    dismiss_missed_call(performer=owner, customer=customer)
    assert find_drift() == []


def test_a_clearing_time_earlier_than_the_latest_clearing_event_is_drift(owner):
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, ago=timedelta(hours=1))
    Customer.objects.filter(pk=customer.pk).update(
        missed_call_cleared_at=timezone.now() - timedelta(days=9)
    )
    [drift] = find_drift()
    assert set(drift.differences) == {"missed_call_cleared_at"}


def test_a_mailed_customer_who_is_still_new_is_drift(owner):
    customer = add_event(owner, "alice", ContactType.MAIL_SENT, ago=timedelta(days=1))
    Customer.objects.filter(pk=customer.pk).update(new_cleared=False)

    [drift] = find_drift()

    assert drift.differences == {"new_cleared": (False, True)}
    fix_drift()
    customer.refresh_from_db()
    assert customer.new_cleared is True


def test_a_customer_without_events_should_have_zero_counters(owner):
    customer = make_customer(owner, "alice")
    ContactEvent.objects.filter(customer=customer).delete()
    [drift] = find_drift()
    assert drift.differences["live_calls"] == (1, 0)
    assert drift.differences["last_contact_type"] == (ContactType.CALL_RECEIVED, "")


def test_performer_limits_the_check_to_that_performers_customers(owner, colleague, alice):
    other = make_customer(colleague, "alice")
    Customer.objects.filter(pk=other.pk).update(feeds=3)

    assert "No drift: every customer of owner matches." in run("--performer", "owner")
    with pytest.raises(CommandError, match="1 customer of colleague drifted"):
        run("--performer", "colleague")
    assert "Fixed 1 customer of colleague." in run("--performer", "colleague", "--fix")


def test_an_unknown_performer_is_an_error(owner):
    with pytest.raises(CommandError, match="Unknown performer\\(s\\): nobody") as error:
        run("--performer", "nobody")
    assert error.value.returncode == 2


def test_it_analyzes_events_and_customers_before_the_recount(alice):
    with CaptureQueriesContext(connection) as queries:
        run()

    assert queries.captured_queries[0]["sql"] == (
        "ANALYZE contacts_contactevent, mycustomers_customer"
    )
