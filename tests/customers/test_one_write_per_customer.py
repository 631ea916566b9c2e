"""Each action rewrites each customer row at most once.

A customer row carries ~20 indexes and a rewrite inserts an entry into every one of them,
so over 100,000 customers a second write of the same rows costs seconds (README,
Performance). PostgreSQL counts the current transaction's row writes per table in
``pg_stat_xact_user_tables``; these tests read that count around each action.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from contacts.mail import send_mail
from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import add_to_list, set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import block_customers, delete_customers
from tests.factories import add_event

pytestmark = pytest.mark.django_db

NAMES = ("alice", "bob", "carol")


def customer_row_writes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = %s::regclass",
            [Customer._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def customers(owner):
    # New customers (a recent first contact), so that every action also ends "new".
    for name in NAMES:
        add_event(owner, name, ContactType.CHAT, ago=timedelta(hours=1))
    return Customer.objects.for_performer(owner)


@pytest.fixture
def lists(owner):
    return [CustomerList.objects.create(performer=owner, name=n) for n in ("VIP", "Regulars")]


def writes_of(action) -> int:
    before = customer_row_writes()
    action()
    return customer_row_writes() - before


def test_assigning_writes_each_customer_once(owner, customers, lists):
    block_customers(performer=owner, customers=customers.filter(member_name="bob"))

    writes = writes_of(
        lambda: set_customer_lists(performer=owner, customers=customers, lists=lists)
    )

    assert writes == len(NAMES)  # names, the end of "new" and bob's unblocking in one write
    assert set(customers.values_list("list_names", flat=True)) == {"Regulars, VIP"}
    assert not any(c.is_new or c.is_blocked for c in customers)


def test_assigning_the_same_lists_again_writes_nothing(owner, customers, lists):
    set_customer_lists(performer=owner, customers=customers, lists=lists)
    assert (
        writes_of(lambda: set_customer_lists(performer=owner, customers=customers, lists=lists))
        == 0
    )


def test_adding_to_a_list_writes_each_customer_once(owner, customers, lists):
    writes = writes_of(
        lambda: add_to_list(performer=owner, customer_list=lists[0], customers=customers)
    )
    assert writes == len(NAMES)
    assert not any(c.is_new for c in customers)


def test_mailing_writes_each_recipient_once(owner, customers):
    writes = writes_of(
        lambda: send_mail(performer=owner, customers=customers, subject="Hi", body="Hello")
    )
    assert writes == len(NAMES)


@pytest.mark.parametrize("action", [block_customers, delete_customers])
def test_blocking_and_deleting_write_each_customer_once(owner, customers, action):
    assert writes_of(lambda: action(performer=owner, customers=customers)) == len(NAMES)
