"""A list's own page (/lists/<id>/): its members, add by member name, remove selected."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contacts.models import Activity, ActivityVerb
from lists.models import Membership
from lists.services import create_list, set_customer_lists
from mycustomers.models import Customer
from mycustomers.services import block_customers, delete_customers
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def named(performer, *names):
    return Customer.objects.for_performer(performer).filter(member_name__in=names)


def members_of(customer_list) -> list[str]:
    return sorted(
        Membership.objects.filter(customer_list=customer_list).values_list(
            "customer__member_name", flat=True
        )
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def vip(owner):
    """The owner's VIP list with alice and bob; carol is a customer in no list."""
    customer_list = create_list(performer=owner, name="VIP")
    for name in ("alice", "bob", "carol"):
        make_customer(owner, name)
    set_customer_lists(
        performer=owner, customers=named(owner, "alice", "bob"), lists=[customer_list]
    )
    return customer_list


def shown(response) -> list[str]:
    return [member.member_name for member in response.context["members"]]


# The members table


def test_it_shows_the_lists_members_only(owner, owner_client, vip):
    response = owner_client.get(vip.get_absolute_url())
    assert response.status_code == 200
    assert shown(response) == ["alice", "bob"]
    content = response.content.decode()
    assert "1–2 of 2 customers" in content
    assert f'href="/customers/?list={vip.pk}"' in content
    assert 'aria-label="Select alice"' in content


def test_deleted_customers_are_not_shown(owner, owner_client, vip):
    delete_customers(performer=owner, customers=named(owner, "bob"))
    assert shown(owner_client.get(vip.get_absolute_url())) == ["alice"]


def test_it_searches_members_by_name_ignoring_case(owner, owner_client, vip):
    response = owner_client.get(vip.get_absolute_url(), {"q": "ALI"})
    assert shown(response) == ["alice"]
    assert "matching “ALI”" in response.content.decode()


def test_a_search_with_no_match_says_so(owner_client, vip):
    response = owner_client.get(vip.get_absolute_url(), {"q": "<zzz>"})
    assert shown(response) == []
    assert "No members match “&lt;zzz&gt;”." in response.content.decode()


def test_members_are_paginated(owner, owner_client, vip, monkeypatch):
    monkeypatch.setattr("lists.views.MEMBERS_PER_PAGE", 1)
    assert shown(owner_client.get(vip.get_absolute_url(), {"page": 2})) == ["bob"]
    # Bad page numbers fall back instead of failing.
    assert shown(owner_client.get(vip.get_absolute_url(), {"page": 99})) == ["bob"]
    assert shown(owner_client.get(vip.get_absolute_url(), {"page": "x"})) == ["alice"]


def test_an_empty_list_says_how_to_add_customers(owner, owner_client):
    empty = create_list(performer=owner, name="Empty")
    response = owner_client.get(empty.get_absolute_url())
    assert b"This list has no customers yet" in response.content
    assert b"Remove selected" not in response.content


def test_the_members_page_runs_a_constant_number_of_queries(
    owner, owner_client, vip, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        owner_client.get(vip.get_absolute_url(), {"q": "a"})
    for n in range(20):
        make_customer(owner, f"member{n:02d}")
    set_customer_lists(
        performer=owner, customers=Customer.objects.for_performer(owner), lists=[vip]
    )
    with django_assert_max_num_queries(6):
        response = owner_client.get(vip.get_absolute_url())
    assert len(shown(response)) == 23


# Adding by member name


def add(client, customer_list, names: str, **query):
    url = reverse("lists:add", args=[customer_list.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"names": names})


def test_it_adds_several_customers_by_name_separated_by_commas_or_lines(owner, owner_client, vip):
    make_customer(owner, "dave")
    response = add(owner_client, vip, "carol,\r\n  dave \n\n,")
    assert response.status_code == 302
    assert response.url == vip.get_absolute_url()
    assert members_of(vip) == ["alice", "bob", "carol", "dave"]
    assert messages_of(response) == ["Added 2 customers to “VIP”."]
    carol = Customer.objects.get(member_name="carol")
    assert carol.list_names == "VIP"
    assert (
        Activity.objects.of_customer(carol)
        .filter(verb=ActivityVerb.LISTS_CHANGED, detail="Added to “VIP”")
        .exists()
    )


def test_a_line_that_is_a_member_name_with_commas_stays_one_name(owner, owner_client, vip):
    """Member names may hold commas (an import takes any text): "Smith, Jr." on its own line
    is that customer, not "Smith" and "Jr."; other lines still split at commas."""
    make_customer(owner, "Smith, Jr.")
    make_customer(owner, "dave")
    response = add(owner_client, vip, "Smith, Jr.\ncarol, dave")
    assert members_of(vip) == ["Smith, Jr.", "alice", "bob", "carol", "dave"]
    assert messages_of(response) == ["Added 3 customers to “VIP”."]


def test_names_match_exactly_then_ignoring_case(owner, owner_client, vip):
    response = add(owner_client, vip, "CAROL")
    assert members_of(vip) == ["alice", "bob", "carol"]
    assert messages_of(response) == ["Added 1 customer to “VIP”."]


def test_an_exact_name_wins_over_a_case_insensitive_one(owner, owner_client, vip):
    make_customer(owner, "Carol")
    add(owner_client, vip, "Carol")
    assert members_of(vip) == ["Carol", "alice", "bob"]


def test_it_reports_unknown_blocked_deleted_and_present_names(owner, colleague, owner_client, vip):
    make_customer(owner, "bill")
    make_customer(owner, "gone")
    block_customers(performer=owner, customers=named(owner, "bill"))
    delete_customers(performer=owner, customers=named(owner, "gone"))
    make_customer(colleague, "theirs")
    response = add(owner_client, vip, "carol, nobody, bill, gone, alice, theirs, <b>x</b>")
    assert response.status_code == 302
    assert members_of(vip) == ["alice", "bob", "carol"]
    assert messages_of(response) == [
        "Added 1 customer to “VIP”.",
        "Not your customers: nobody, theirs, <b>x</b>.",
        "Blocked (unblock them first): bill.",
        "Deleted from My Customers (restore them first): gone.",
        "Already in the list: alice.",
    ]
    assert Customer.objects.get(member_name="bill").status == "blocked"
    assert not Membership.objects.filter(customer__member_name="theirs").exists()
    page = owner_client.get(response.url).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page


def test_adding_nobody_says_so(owner_client, vip):
    response = add(owner_client, vip, "alice")
    assert messages_of(response) == ["Added 0 customers to “VIP”.", "Already in the list: alice."]


def test_a_long_report_is_shortened(owner_client, vip):
    names = ", ".join(f"ghost{n}" for n in range(15))
    response = add(owner_client, vip, names)
    assert messages_of(response)[1].endswith("ghost9 and 5 more.")


@pytest.mark.parametrize("names", ["", "  ", ", ,\n,"])
def test_adding_without_names_is_a_field_error(owner_client, vip, names):
    response = add(owner_client, vip, names)
    assert response.status_code == 400
    assert response.context["add_form"].errors["names"] == ["Enter at least one member name."]
    assert members_of(vip) == ["alice", "bob"]


def test_too_many_names_at_once_are_refused(owner_client, vip):
    response = add(owner_client, vip, ",".join(f"n{i}" for i in range(501)))
    assert response.status_code == 400
    assert "at most 500 names" in response.context["add_form"].errors["names"][0]


def test_adding_keeps_the_search_and_page(owner_client, vip):
    response = add(owner_client, vip, "carol", q="a", page="2")
    assert response.url == f"{vip.get_absolute_url()}?q=a&page=2"


def test_a_new_customer_added_to_a_list_is_no_longer_new(owner, owner_client, vip):
    add_event(owner, "nina")
    add(owner_client, vip, "nina")
    assert not Customer.objects.get(member_name="nina").is_new


# Removing selected members


def remove(client, customer_list, ids, **query):
    url = reverse("lists:remove", args=[customer_list.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"customers": ids})


def test_it_removes_the_selected_members_who_fall_back_to_unassigned(owner, owner_client, vip):
    fans = create_list(performer=owner, name="Fans")
    set_customer_lists(performer=owner, customers=named(owner, "bob"), lists=[vip, fans])
    alice, bob = named(owner, "alice", "bob").order_by("member_name")
    response = remove(owner_client, vip, [alice.pk, bob.pk], q="b")
    assert response.status_code == 302
    assert response.url == f"{vip.get_absolute_url()}?q=b"
    assert messages_of(response) == ["Removed 2 customers from “VIP”."]
    assert members_of(vip) == []
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.list_label, bob.list_label) == ("Unassigned", "Fans")
    assert Activity.objects.of_customer(alice).filter(detail="Removed from “VIP”").exists()


def test_removing_nothing_is_a_form_error(owner_client, vip):
    response = remove(owner_client, vip, [])
    assert response.status_code == 400
    assert b"Select the customers to remove." in response.content
    assert members_of(vip) == ["alice", "bob"]


@pytest.mark.parametrize("who", ["non_member", "colleagues_customer", "garbage"])
def test_removing_customers_who_are_not_members_is_refused(
    owner, colleague, owner_client, vip, who
):
    alice = Customer.objects.get(member_name="alice")
    other = {
        "non_member": lambda: Customer.objects.get(member_name="carol").pk,
        "colleagues_customer": lambda: make_customer(colleague, "alice-too").pk,
        "garbage": lambda: "x",
    }[who]()
    response = remove(owner_client, vip, [alice.pk, other])
    assert response.status_code == 400
    assert b"Some of the selected customers are not in this list." in response.content
    assert members_of(vip) == ["alice", "bob"]


@pytest.mark.parametrize("page", ["add", "remove"])
def test_a_get_on_a_form_address_goes_back_to_the_list(owner_client, vip, page):
    response = owner_client.get(reverse(f"lists:{page}", args=[vip.pk]))
    assert response.status_code == 302
    assert response.url == vip.get_absolute_url()


@pytest.mark.parametrize("q", ["\x00ali", "a" * 10_000, "%_\\"])
def test_hostile_search_text_never_fails(owner_client, vip, q):
    response = owner_client.get(vip.get_absolute_url(), {"q": q})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 100


@pytest.mark.parametrize("names", ["alice\x00", "x" * 50_000])
def test_hostile_names_are_a_field_error(owner_client, vip, names):
    response = add(owner_client, vip, names)
    assert response.status_code == 400
    assert members_of(vip) == ["alice", "bob"]
