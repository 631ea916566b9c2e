"""Times PostgreSQL stores but Python cannot hold (year 0 or 10000 in UTC, from imports made
before the range check): pages still render, showing the nearest time Python holds."""

from __future__ import annotations

import pytest
from django.db import connection

from contacts.models import ContactEvent
from mycustomers.database import EARLIEST, LATEST
from mycustomers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

YEAR_0 = "0001-01-01T00:00:00+14:00"
YEAR_10000 = "9999-12-31T23:59:59-12:00"


@pytest.fixture
def alice(owner):
    """A customer whose stored times went out of range, as an unchecked import left them."""
    customer = make_customer(owner, "alice")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ContactEvent._meta.db_table}
                (performer_id, customer_id, type, occurred_at, amount, quantity, summary,
                 recorded_at)
            VALUES (%s, %s, 'chat', %s::timestamptz, 0, 1, '', now()),
                   (%s, %s, 'chat', %s::timestamptz, 0, 1, '', now())
            """,
            [owner.pk, customer.pk, YEAR_0, owner.pk, customer.pk, YEAR_10000],
        )
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} SET first_contact = %s, last_contact = %s "
            "WHERE id = %s",
            [YEAR_0, YEAR_10000, customer.pk],
        )
    return customer


def test_an_out_of_range_time_reads_as_the_nearest_one_python_holds(alice):
    alice.refresh_from_db()
    assert (alice.first_contact, alice.last_contact) == (EARLIEST, LATEST)
    times = set(ContactEvent.objects.filter(customer=alice).values_list("occurred_at", flat=True))
    assert {EARLIEST, LATEST} <= times


@pytest.mark.parametrize(
    "page", ["/customers/", "/customers/export/", "/customers/{pk}/", "/customers/{pk}/history/"]
)
def test_pages_with_out_of_range_times_still_render(owner_client, alice, page):
    response = owner_client.get(page.format(pk=alice.pk))
    assert response.status_code == 200
    if response.streaming:  # the export: its rows are read as it streams
        assert b"alice" in b"".join(response.streaming_content)
