"""A failure in the middle of any mass action or list deletion applies nothing and gets a
clear message; Delete → Undo and Delete → Restore bring back everything the customer had."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.urls import reverse

import contacts.mail
import lists.services
import mycustomers.jobs
import mycustomers.services
from contacts.models import ContactEvent, Note
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.models import Customer, FollowUpStatus
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def explode(**kwargs):
    raise DatabaseError("injected failure")


@pytest.fixture
def book(owner):
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    for name in ("Ann", "Ben", "Cat"):
        make_customer(owner, name, amount=10)
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="Ann"), lists=[vip]
    )
    return vip


def state():
    return sorted(
        Customer.objects.values_list(
            "member_name", "status", "list_names", "mail_sent", "new_cleared"
        )
    )


@pytest.mark.parametrize(
    "url_name, data",
    [
        ("customers:block", {"scope": "all"}),
        ("customers:delete", {"scope": "all"}),
        ("customers:assign", {"scope": "all", "new_list": "Fresh"}),
        ("customers:send_mail", {"scope": "all", "subject": "Hi", "body": "Hello"}),
    ],
)
def test_a_failure_mid_action_applies_nothing_and_says_so(
    owner_client, book, monkeypatch, url_name, data
):
    before = (
        state(),
        Membership.objects.count(),
        ContactEvent.objects.count(),
        CustomerList.objects.count(),
    )
    # The activity log is written last in every action, after the customers changed.
    for module in (mycustomers.services, lists.services, contacts.mail):
        monkeypatch.setattr(module, "log_activity", explode)

    response = owner_client.post(reverse(url_name), data, follow=True)

    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()
    after = (
        state(),
        Membership.objects.count(),
        ContactEvent.objects.count(),
        CustomerList.objects.count(),
    )
    assert after == before


def test_a_failure_mid_list_delete_keeps_the_list_and_its_members(owner, book, monkeypatch):
    monkeypatch.setattr(lists.services, "log_activity", explode)
    with pytest.raises(DatabaseError):
        mycustomers.jobs.delete_list(performer=owner, customer_list=book)
    assert CustomerList.objects.filter(pk=book.pk).exists()
    assert Customer.objects.get(member_name="Ann").list_names == "VIP"


def everything_about(customer: Customer) -> dict:
    customer.refresh_from_db()
    return {
        "status": customer.status,
        "nickname": customer.nickname,
        "follow_up": customer.follow_up,
        "list_names": customer.list_names,
        "memberships": sorted(customer.memberships.values_list("customer_list__name", flat=True)),
        "notes": sorted(customer.notes.values_list("body", flat=True)),
        "counters": (customer.live_calls, customer.earnings, customer.last_contact),
        "events": customer.events.count(),
    }


@pytest.mark.parametrize("way_back", ["undo", "restore"])
def test_delete_then_undo_or_restore_brings_back_everything(owner, owner_client, book, way_back):
    ann = Customer.objects.get(member_name="Ann")
    Customer.objects.filter(pk=ann.pk).update(nickname="Annie", follow_up=FollowUpStatus.SPOKE)
    Note.objects.create(performer=owner, customer=ann, body="Likes Sunday readings")
    before = everything_about(ann)

    owner_client.post(reverse("customers:delete"), {"ids": [ann.pk]})
    assert everything_about(ann)["status"] == "deleted"
    if way_back == "undo":
        owner_client.post(reverse("customers:undo_delete"))
    else:
        owner_client.post(reverse("customers:restore"), {"ids": [ann.pk]})

    assert everything_about(ann) == before
