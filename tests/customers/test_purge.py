from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from contacts.models import ContactEvent, Note
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import delete_customers
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def deleted_customer(owner, name, days_ago):
    customer = make_customer(owner, name)
    vip, _ = CustomerList.objects.get_or_create(performer=owner, name="VIP")
    qs = Customer.objects.filter(pk=customer.pk)
    set_customer_lists(performer=owner, customers=qs, lists=[vip])
    qs.update(nickname="Nick")
    Note.objects.create(performer=owner, customer=customer, body="likes tarot")
    delete_customers(performer=owner, customers=qs)
    qs.update(status_changed_at=timezone.now() - timedelta(days=days_ago))
    return customer


def test_purge_forgets_private_data_of_old_deletions_but_keeps_events(owner):
    old = deleted_customer(owner, "old", days_ago=31)
    recent = deleted_customer(owner, "recent", days_ago=5)
    events_before = ContactEvent.objects.count()

    call_command("purge_deleted")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.nickname, old.list_names) == ("", "")
    assert not Note.objects.filter(customer=old).exists()
    assert not Membership.objects.filter(customer=old).exists()
    assert old.live_calls == 1
    assert (recent.nickname, recent.list_names) == ("Nick", "VIP")
    assert Note.objects.filter(customer=recent).exists()
    assert ContactEvent.objects.count() == events_before


@pytest.mark.parametrize("days", ["-1", "0"])
def test_purge_refuses_days_below_one(owner, days):
    recent = deleted_customer(owner, "recent", days_ago=0)

    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("purge_deleted", "--days", days, "--below-retention")

    recent.refresh_from_db()
    assert recent.nickname == "Nick"


def test_purge_below_the_retention_must_be_explicit(owner):
    week_old = deleted_customer(owner, "week-old", days_ago=8)

    with pytest.raises(CommandError, match="below the retention of 30 days"):
        call_command("purge_deleted", "--days", "7", stdout=StringIO())
    week_old.refresh_from_db()
    assert week_old.nickname == "Nick"

    call_command("purge_deleted", "--days", "7", "--below-retention", stdout=StringIO())
    week_old.refresh_from_db()
    assert week_old.nickname == ""
