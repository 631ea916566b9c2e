"""The caller card (SPEC D12): a compact card for an incoming call or chat, and a clear
"not your customer yet" that reveals nothing about other performers' customers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from contacts.notes import add_note
from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from mycustomers.services import block_customers
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

NOT_YET = "Not your customer yet."


def lookup(client, **query):
    return client.get(reverse("customers:lookup"), query)


@pytest.fixture
def alice(owner):
    customer = make_customer(owner, "alice", type=ContactType.CHAT, ago=timedelta(days=3))
    Customer.objects.filter(pk=customer.pk).update(nickname="Ally")
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=customer.pk), lists=[vip]
    )
    for i in range(5):
        add_note(performer=owner, customer=customer, body=f"note {i}")
    customer.refresh_from_db()
    return customer


def test_a_known_caller_gets_a_compact_card(owner_client, alice):
    response = lookup(owner_client, member="alice")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="{alice.get_absolute_url()}"' in body
    assert "“Ally”" in body
    assert "Lists: VIP" in body
    assert "Chat" in body and f"{alice.last_contact:%b}" in body
    # The latest three notes, newest first.
    assert body.index("note 4") < body.index("note 3") < body.index("note 2")
    assert "note 1" not in body and "note 0" not in body
    assert NOT_YET not in body


def test_the_lookup_ignores_case_and_surrounding_spaces(owner_client, alice):
    body = lookup(owner_client, member="  ALICE ").content.decode()
    assert f'href="{alice.get_absolute_url()}"' in body


def test_an_exact_spelling_wins_over_another_case(owner_client, owner, alice):
    other = make_customer(owner, "Alice")
    body = lookup(owner_client, member="Alice").content.decode()
    assert f'href="{other.get_absolute_url()}"' in body


def test_an_unknown_name_is_not_your_customer_yet(owner_client, alice):
    response = lookup(owner_client, member="stranger")
    assert response.status_code == 200
    body = response.content.decode()
    assert NOT_YET in body
    assert "stranger" not in body


def test_another_performers_customer_looks_exactly_like_an_unknown_name(
    owner_client, colleague, alice
):
    make_customer(colleague, "shared-member")
    theirs = lookup(owner_client, member="shared-member")
    unknown = lookup(owner_client, member="nobody-at-all")
    assert theirs.status_code == unknown.status_code == 200
    assert b"shared-member" not in theirs.content
    assert without_token(theirs) == without_token(unknown)


def without_token(response) -> str:
    # The CSRF token is masked differently on every response.
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_blocked_customer_shows_a_blocked_badge(owner_client, owner, alice):
    block_customers(performer=owner, customers=Customer.objects.filter(pk=alice.pk))
    body = lookup(owner_client, member="alice").content.decode()
    assert '<span class="badge badge-blocked">Blocked</span>' in body
    assert "Lists: Blocked" in body


def test_a_deleted_customer_shows_a_deleted_badge(owner_client, alice):
    Customer.objects.filter(pk=alice.pk).update(status=CustomerStatus.DELETED)
    body = lookup(owner_client, member="alice").content.decode()
    assert '<span class="badge badge-deleted">Deleted</span>' in body
    assert f'href="{alice.get_absolute_url()}"' in body


def test_without_a_name_it_shows_the_form(owner_client):
    response = lookup(owner_client)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="member"' in body
    assert NOT_YET not in body


@pytest.mark.parametrize(
    ("member", "error"),
    [
        ("", "Type the member name of the caller."),
        ("   ", "Type the member name of the caller."),
        ("x" * 10_000, "Member names are at most 64 characters long."),
    ],
)
def test_a_missing_or_overlong_name_shows_the_form_with_an_error(owner_client, member, error):
    response = lookup(owner_client, member=member)
    assert response.status_code == 400
    assert error in response.content.decode()


def test_the_card_needs_a_login(client):
    response = lookup(client, member="alice")
    assert response.status_code == 302


def test_the_card_runs_four_queries(owner_client, alice, django_assert_num_queries):
    # session, user, customer, notes
    with django_assert_num_queries(4):
        lookup(owner_client, member="alice")
