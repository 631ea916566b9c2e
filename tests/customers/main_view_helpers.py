"""Shared helpers of the main-view tests (tests/customers/test_main_view*.py)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from mycustomers.models import Customer
from tests.factories import make_customer

LIST_URL = reverse("customers:list")


def customer(performer, name: str, **fields) -> Customer:
    """A customer with one old call, then ``fields`` written directly: these tests are about
    what the table shows and how it orders rows, not about how counters are derived."""
    created = make_customer(performer, name)
    if fields:
        Customer.objects.filter(pk=created.pk).update(**fields)
        created.refresh_from_db()
    return created


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def names(response) -> list[str]:
    """Member names of the table's rows, in the order shown."""
    return [row.record.member_name for row in response.context["table"].page.object_list]


def get(client, **params):
    return client.get(LIST_URL, params)
