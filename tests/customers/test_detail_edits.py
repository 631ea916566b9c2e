"""Edits from the detail page (SPEC D1 nickname, D4 lists and block, D8 follow-up): POST
only, validated with field errors (status 400), recorded in the activity, then back (PRG)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import Activity, ActivityVerb
from lists.models import CustomerList, Membership
from mycustomers import services
from mycustomers.errors import ActionError
from mycustomers.models import Customer, CustomerStatus, FollowUpStatus
from mycustomers.services import set_follow_up, set_nickname
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(owner):
    return make_customer(owner, "alice")


@pytest.fixture
def vip(owner):
    return CustomerList.objects.create(performer=owner, name="VIP")


@pytest.fixture
def regulars(owner):
    return CustomerList.objects.create(performer=owner, name="Regulars")


def url(name, customer):
    return reverse(f"customers:{name}", args=[customer.pk])


def activities(customer, verb):
    return list(
        Activity.objects.filter(customer=customer, verb=verb).values_list("detail", flat=True)
    )


def last_message(response) -> str:
    # Redirects are not followed here, so earlier requests' messages are still queued.
    return [str(m) for m in response.wsgi_request._messages][-1]


# --- Nickname ---------------------------------------------------------------------------


def test_setting_a_nickname_saves_it_logs_it_and_redirects_back(owner_client, alice):
    response = owner_client.post(url("nickname", alice), {"nickname": "  Night   owl "})
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url()
    alice.refresh_from_db()
    assert alice.nickname == "Night owl"
    assert activities(alice, ActivityVerb.NICKNAME_CHANGED) == ["“Night owl”"]
    assert last_message(response) == "Nickname set to “Night owl”."


def test_changing_and_clearing_a_nickname_are_both_logged(owner_client, alice):
    owner_client.post(url("nickname", alice), {"nickname": "Ally"})
    owner_client.post(url("nickname", alice), {"nickname": "Al"})
    owner_client.post(url("nickname", alice), {"nickname": ""})
    alice.refresh_from_db()
    assert alice.nickname == ""
    assert sorted(activities(alice, ActivityVerb.NICKNAME_CHANGED)) == sorted(
        ["“Ally”", "“Ally” → “Al”", "Cleared (was “Al”)"]
    )


def test_an_unchanged_nickname_logs_nothing(owner_client, alice):
    owner_client.post(url("nickname", alice), {"nickname": "Ally"})
    owner_client.post(url("nickname", alice), {"nickname": "Ally"})
    assert len(activities(alice, ActivityVerb.NICKNAME_CHANGED)) == 1


def test_a_nickname_over_60_characters_is_refused_with_a_field_error(owner_client, alice):
    response = owner_client.post(url("nickname", alice), {"nickname": "x" * 61})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nicknames can be at most 60 characters (this one has 61)." in body
    assert 'aria-invalid="true"' in body
    alice.refresh_from_db()
    assert alice.nickname == ""
    assert not activities(alice, ActivityVerb.NICKNAME_CHANGED)


def test_the_nickname_service_refuses_long_names_too(owner, alice):
    with pytest.raises(ActionError):
        set_nickname(performer=owner, customer=alice, nickname="y" * 61)


def test_edits_are_post_only(owner_client, alice):
    for name in ("nickname", "follow_up", "customer_lists", "add_note"):
        assert owner_client.get(url(name, alice)).status_code == 405


def test_edits_need_the_csrf_token(client, owner, alice):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(url("nickname", alice), {"nickname": "x"}).status_code == 403
    alice.refresh_from_db()
    assert alice.nickname == ""


# --- Follow-up status -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "stored", "label"),
    [
        ("called", FollowUpStatus.CALLED, "Called"),
        ("no_answer", FollowUpStatus.NO_ANSWER, "No answer"),
        ("left_message", FollowUpStatus.LEFT_MESSAGE, "Left a message"),
        ("spoke", FollowUpStatus.SPOKE, "Spoke"),
    ],
)
def test_setting_the_follow_up_status(owner_client, alice, posted, stored, label):
    response = owner_client.post(url("follow_up", alice), {"follow_up": posted})
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#follow-up"
    alice.refresh_from_db()
    assert alice.follow_up == stored
    assert activities(alice, ActivityVerb.FOLLOW_UP_CHANGED) == [label]


def test_setting_the_follow_up_back_to_none(owner_client, alice):
    Customer.objects.filter(pk=alice.pk).update(follow_up=FollowUpStatus.SPOKE)
    owner_client.post(url("follow_up", alice), {"follow_up": "none"})
    alice.refresh_from_db()
    assert alice.follow_up == FollowUpStatus.NONE
    assert activities(alice, ActivityVerb.FOLLOW_UP_CHANGED) == ["None"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose a follow-up status."),
        ({"follow_up": ""}, "Choose a follow-up status."),
        ({"follow_up": "hung_up"}, "Choose one of the follow-up statuses."),
        ({"follow_up": "x" * 10_000}, "Choose one of the follow-up statuses."),
    ],
)
def test_a_bad_follow_up_status_is_refused(owner_client, alice, data, error):
    response = owner_client.post(url("follow_up", alice), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    alice.refresh_from_db()
    assert alice.follow_up == FollowUpStatus.NONE
    assert not activities(alice, ActivityVerb.FOLLOW_UP_CHANGED)


def test_the_follow_up_service_refuses_unknown_values(owner, alice):
    with pytest.raises(ActionError):
        set_follow_up(performer=owner, customer=alice, follow_up="maybe")


# --- Lists and block --------------------------------------------------------------------


def test_ticking_lists_puts_the_customer_in_exactly_those(owner_client, alice, vip, regulars):
    response = owner_client.post(url("customer_lists", alice), {"lists": [vip.pk, regulars.pk]})
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#lists"
    alice.refresh_from_db()
    assert alice.list_names == "Regulars, VIP"

    owner_client.post(url("customer_lists", alice), {"lists": [regulars.pk]})
    alice.refresh_from_db()
    assert alice.list_names == "Regulars"
    assert set(
        Membership.objects.filter(customer=alice).values_list("customer_list", flat=True)
    ) == {regulars.pk}
    assert len(activities(alice, ActivityVerb.LISTS_CHANGED)) == 2


def test_unticking_every_list_leaves_the_customer_unassigned(owner_client, alice, vip):
    owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    response = owner_client.post(url("customer_lists", alice), {})
    assert last_message(response) == "Removed from every list."
    alice.refresh_from_db()
    assert alice.list_label == "Unassigned"


def test_updating_without_changes_says_so_and_logs_nothing(owner_client, alice, vip):
    owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    response = owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    assert last_message(response) == "Lists unchanged."
    assert len(activities(alice, ActivityVerb.LISTS_CHANGED)) == 1


def test_ticking_blocked_blocks_the_customer(owner_client, alice, vip):
    owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    response = owner_client.post(url("customer_lists", alice), {"blocked": "on"})
    assert "Customer blocked" in last_message(response)
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.BLOCKED
    assert alice.list_label == "Blocked"
    assert not Membership.objects.filter(customer=alice).exists()
    assert len(activities(alice, ActivityVerb.BLOCKED)) == 1


def test_unticking_blocked_unblocks_the_customer(owner_client, owner, alice):
    owner_client.post(url("customer_lists", alice), {"blocked": "on"})
    response = owner_client.post(url("customer_lists", alice), {})
    assert "Customer unblocked" in last_message(response)
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.ACTIVE
    assert alice.list_label == "Unassigned"
    assert len(activities(alice, ActivityVerb.UNBLOCKED)) == 1


def test_a_blocked_customer_put_in_a_list_is_unblocked(owner_client, alice, vip):
    owner_client.post(url("customer_lists", alice), {"blocked": "on"})
    owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.ACTIVE
    assert alice.list_names == "VIP"


def test_ticking_blocked_with_the_lists_still_ticked_blocks_and_removes_the_lists(
    owner_client, owner, alice, vip, regulars
):
    # The form shows the customer's lists ticked: ticking Blocked sends them too. Blocking
    # removes the lists, as the mass Block action does (A4, L4).
    owner_client.post(url("customer_lists", alice), {"lists": [vip.pk, regulars.pk]})
    response = owner_client.post(
        url("customer_lists", alice), {"lists": [vip.pk, regulars.pk], "blocked": "on"}
    )
    assert response.status_code == 302
    assert last_message(response) == (
        "Customer blocked: removed from Regulars, VIP, and out of the main view."
    )
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.BLOCKED
    assert alice.list_names == ""
    assert alice.list_label == "Blocked"
    assert not Membership.objects.filter(customer=alice).exists()
    assert len(activities(alice, ActivityVerb.BLOCKED)) == 1


def test_blocking_from_the_detail_page_is_the_mass_block_action(owner, alice, vip, monkeypatch):
    """One rule for both paths: the detail page blocks through block_customers."""
    calls = []
    block = services.block_customers
    monkeypatch.setattr(
        services, "block_customers", lambda **kwargs: calls.append(kwargs) or block(**kwargs)
    )
    services.change_customer_lists(performer=owner, customer=alice, lists=[vip], blocked=True)
    assert [list(call["customers"]) for call in calls] == [[alice]]
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.BLOCKED


@pytest.mark.parametrize("bad", ["abc", "999999", "-1", "1" * 40])
def test_unknown_list_ids_are_refused(owner_client, alice, bad):
    response = owner_client.post(url("customer_lists", alice), {"lists": [bad]})
    assert response.status_code == 400
    assert "That list does not exist." in response.content.decode()


def test_another_performers_list_is_refused_and_untouched(owner_client, colleague, alice):
    theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
    response = owner_client.post(url("customer_lists", alice), {"lists": [theirs.pk]})
    assert response.status_code == 400
    assert not Membership.objects.filter(customer_list=theirs).exists()
    assert "Theirs" not in response.content.decode()


def test_a_deleted_customers_lists_cannot_be_changed(owner_client, alice, vip):
    Customer.objects.filter(pk=alice.pk).update(status=CustomerStatus.DELETED)
    response = owner_client.post(url("customer_lists", alice), {"lists": [vip.pk]})
    assert response.status_code == 400
    assert "Restore this customer before changing their lists." in response.content.decode()
    assert not Membership.objects.filter(customer=alice).exists()


def test_the_detail_page_rerenders_with_the_posted_choices_on_error(owner_client, alice, vip):
    response = owner_client.post(
        url("customer_lists", alice), {"lists": [vip.pk, "999999"], "blocked": "on"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'name="lists" value="{vip.pk}" checked' in body
    assert 'name="blocked" value="on" checked' in body


# --- Tenancy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nickname", {"nickname": "mine now"}),
        ("follow_up", {"follow_up": "spoke"}),
        ("customer_lists", {"blocked": "on"}),
    ],
)
def test_another_performers_customer_is_a_404_and_unchanged(owner_client, colleague, name, data):
    theirs = make_customer(colleague, "bob")
    before = Customer.objects.filter(pk=theirs.pk).values().get()
    assert owner_client.post(url(name, theirs), data).status_code == 404
    assert Customer.objects.filter(pk=theirs.pk).values().get() == before
    assert not Activity.objects.filter(customer=theirs).exists()
