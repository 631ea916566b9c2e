"""The caller card (SPEC D12): a compact card for an incoming call or chat, and a clear
"not your customer yet" that reveals nothing about other performers' customers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
        ("", "Type the member name or nickname of the caller."),
        ("   ", "Type the member name or nickname of the caller."),
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


# --- By nickname, and the header's field with its suggestions (issue 19, defect 13) ------


def suggest(client, text):
    response = client.get(reverse("customers:lookup_suggest"), {"q": text})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["suggestions"]


def test_a_nickname_finds_the_caller_too(owner_client, alice):
    body = lookup(owner_client, member="ally").content.decode()
    assert f'href="{alice.get_absolute_url()}"' in body
    assert NOT_YET not in body


def test_a_shared_nickname_lists_the_customers_to_choose_from(owner_client, owner, alice):
    other = make_customer(owner, "alfred")
    Customer.objects.filter(pk=other.pk).update(nickname="Ally")
    body = lookup(owner_client, member="Ally").content.decode()
    assert "Several customers have that nickname" in body
    assert 'href="?member=alfred"' in body and 'href="?member=alice"' in body


def test_another_performers_nickname_is_not_found(owner_client, colleague, alice):
    theirs = make_customer(colleague, "bob")
    Customer.objects.filter(pk=theirs.pk).update(nickname="Bobby")
    assert NOT_YET in lookup(owner_client, member="Bobby").content.decode()


def test_every_page_has_the_caller_lookup_in_its_header(owner_client, alice):
    for url in (reverse("customers:list"), alice.get_absolute_url(), reverse("lists:index")):
        body = owner_client.get(url).content.decode()
        header = body[body.index('<header class="site-header">') : body.index("</header>")]
        assert f'action="{reverse("customers:lookup")}"' in header
        assert '<label for="caller-lookup">Look up a caller</label>' in header
        assert 'name="member"' in header and 'list="caller-suggestions"' in header
        assert f'data-caller-suggestions="{reverse("customers:lookup_suggest")}"' in header


def test_suggestions_match_the_name_start_or_any_part_of_name_or_nickname(owner, owner_client):
    make_customer(owner, "alice")
    make_customer(owner, "Alfred")
    make_customer(owner, "malika")
    nick = make_customer(owner, "zed")
    Customer.objects.filter(pk=nick.pk).update(nickname="Rosebud")
    assert [s["name"] for s in suggest(owner_client, "al")] == ["Alfred", "alice"]
    assert [s["name"] for s in suggest(owner_client, "ali")] == ["alice", "malika"]
    assert suggest(owner_client, "sebu") == [{"name": "zed", "nickname": "Rosebud"}]


def test_two_character_suggestions_ignore_the_marks_of_letters(owner, owner_client):
    for name in ("Émile", "Emil", "Ezra", "Øyvind"):
        make_customer(owner, name)
    for typed in ("em", "Ém", "EM", "ém"):
        assert [s["name"] for s in suggest(owner_client, typed)] == ["Emil", "Émile"], typed
    assert [s["name"] for s in suggest(owner_client, "oy")] == ["Øyvind"]


def test_suggestions_are_the_performers_own_visible_customers(owner, owner_client, colleague):
    make_customer(colleague, "alan")
    blocked = make_customer(owner, "alba")
    Customer.objects.filter(pk=blocked.pk).update(status=CustomerStatus.BLOCKED)
    make_customer(owner, "alma")
    assert suggest(owner_client, "al") == [{"name": "alma", "nickname": ""}]


def test_suggestions_are_limited_and_need_two_characters(owner, owner_client):
    for i in range(12):
        make_customer(owner, f"caller{i:02d}")
    assert len(suggest(owner_client, "ca")) == 8
    assert suggest(owner_client, "c") == []
    assert suggest(owner_client, "") == []
    assert suggest(owner_client, "c" * 65) == []
    assert suggest(owner_client, "%_") == []  # LIKE wildcards are plain characters


def test_suggestions_for_text_with_a_nul_byte_are_none(owner, owner_client, alice):
    # PostgreSQL refuses NUL in text: the query must not reach it (was a 500).
    assert suggest(owner_client, "al\x00i") == []
    assert suggest(owner_client, "\x00\x00") == []


def test_suggestions_run_one_query_besides_the_session(owner, owner_client, alice):
    # session, user, suggestions: short and long text alike
    for text in ("al", "alic"):
        with CaptureQueriesContext(connection) as queries:
            suggest(owner_client, text)
        assert len(queries) == 3


def test_suggestions_need_a_login(client):
    response = client.get(reverse("customers:lookup_suggest"), {"q": "al"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
