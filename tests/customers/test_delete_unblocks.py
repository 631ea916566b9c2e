"""Delete on the Blocked list unblocks (A5, seed 002): the confirmation page and the result
message say so (issue 19)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mycustomers.models import Customer, CustomerStatus
from mycustomers.services import block_customers, delete_customers
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

BLOCKED_VIEW = "/customers/?list=blocked"


@pytest.fixture
def blocked(owner):
    for name in ("ann", "bob"):
        make_customer(owner, name)
    block_customers(performer=owner, customers=Customer.objects.filter(performer=owner))
    return list(Customer.objects.filter(performer=owner).order_by("member_name"))


def ids(*customers):
    return [c.pk for c in customers]


def last_message(response) -> str:
    return [str(m) for m in response.wsgi_request._messages][-1]


def test_the_confirmation_says_deleting_unblocks(owner_client, blocked):
    response = owner_client.get(
        reverse("customers:delete"), {"ids": ids(*blocked), "next": BLOCKED_VIEW}
    )
    page = " ".join(response.content.decode().split())
    assert "Deleting unblocks the 2 customers who are blocked" in page
    assert "they come back unblocked, in Unassigned" in page


def test_the_result_says_they_were_unblocked(owner_client, blocked):
    response = owner_client.post(
        reverse("customers:delete"), {"ids": ids(*blocked), "next": BLOCKED_VIEW}
    )
    assert response.url == BLOCKED_VIEW
    assert last_message(response) == "Deleted and unblocked 2 customers."
    assert set(Customer.objects.values_list("status", flat=True)) == {CustomerStatus.DELETED}


def test_a_mixed_selection_says_how_many_were_unblocked(owner, owner_client, blocked):
    carl = make_customer(owner, "carl")
    response = owner_client.post(reverse("customers:delete"), {"ids": ids(blocked[0], carl)})
    assert last_message(response) == "Deleted 2 customers, and unblocked the 1 who was blocked."


def test_deleting_customers_who_are_not_blocked_says_nothing_of_it(owner, owner_client):
    ann = make_customer(owner, "ann")
    confirm = owner_client.get(reverse("customers:delete"), {"ids": ids(ann)})
    assert "unblock" not in confirm.content.decode()
    response = owner_client.post(reverse("customers:delete"), {"ids": ids(ann)})
    assert last_message(response) == "Deleted 1 customer."


def test_the_service_counts_the_unblocked(owner, blocked):
    carl = make_customer(owner, "carl")
    deletion = delete_customers(
        performer=owner, customers=Customer.objects.filter(pk__in=ids(blocked[0], carl))
    )
    assert (deletion.count, deletion.unblocked) == (2, 1)


def test_a_delete_in_the_background_says_it_too(owner, owner_client, blocked, settings):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "BACKGROUND_ACTION_MIN": 1}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    response = owner_client.post(reverse("customers:delete"), {"ids": ids(*blocked)})
    assert last_message(response).startswith("Delete: 2 customers, in the background.")
    assert last_message(response).endswith(" Those who are blocked are unblocked.")
