from __future__ import annotations

import pytest

from contacts.models import Activity, ActivityVerb
from lists.models import CustomerList, Membership
from lists.services import add_to_list, create_list, remove_from_list, set_customer_lists
from mycustomers.errors import ActionError
from mycustomers.jobs import MembersUpdate, delete_list, rename_list
from mycustomers.models import Customer, CustomerStatus
from mycustomers.services import block_customers
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def named(performer, *names):
    return Customer.objects.for_performer(performer).filter(member_name__in=names)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "Enter a list name"),
        ("   ", "Enter a list name"),
        ("x" * 61, "at most 60"),
        ("Blocked", "default lists"),
        ("new customers", "default lists"),
    ],
)
def test_bad_list_names_are_refused(owner, bad, message):
    with pytest.raises(ActionError, match=message):
        create_list(performer=owner, name=bad)


def test_list_names_are_unique_per_performer_ignoring_case(owner, colleague):
    create_list(performer=owner, name="VIP")
    with pytest.raises(ActionError, match="already have"):
        create_list(performer=owner, name="vip")
    assert create_list(performer=colleague, name="vip").name == "vip"


def test_names_are_trimmed_and_inner_spaces_collapsed(owner):
    assert create_list(performer=owner, name="  Big   spenders ").name == "Big spenders"


def test_assign_replaces_lists_and_keeps_a_list_only_when_ticked(owner):
    a, b, c = (create_list(performer=owner, name=n) for n in ("Alpha", "beta", "Gamma"))
    make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[a, b])
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[b, c])
    alice = Customer.objects.get(member_name="alice")
    assert set(
        Membership.objects.filter(customer=alice).values_list("customer_list__name", flat=True)
    ) == {"beta", "Gamma"}
    assert alice.list_names == "beta, Gamma"


def test_assigning_clears_the_new_badge(owner):
    alice = add_event(owner, "alice")
    assert alice.is_new
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[])
    alice.refresh_from_db()
    assert not alice.is_new
    assert alice.list_label == "Unassigned"


def test_assigning_a_blocked_customer_takes_them_out_of_blocked(owner):
    vip = create_list(performer=owner, name="VIP")
    make_customer(owner, "alice")
    block_customers(performer=owner, customers=named(owner, "alice"))
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    alice = Customer.objects.get(member_name="alice")
    assert alice.status == CustomerStatus.ACTIVE
    assert alice.list_names == "VIP"
    assert Activity.objects.filter(customer=alice, verb=ActivityVerb.UNBLOCKED).count() == 1


def test_assigning_another_performers_list_is_refused(owner, colleague):
    theirs = create_list(performer=colleague, name="Theirs")
    make_customer(owner, "alice")
    with pytest.raises(ActionError):
        set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[theirs])
    assert not Membership.objects.exists()


def test_renaming_a_list_updates_its_members_sortable_names(owner):
    vip = create_list(performer=owner, name="VIP")
    make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    rename_list(performer=owner, customer_list=vip, name="Aces")
    assert Customer.objects.get(member_name="alice").list_names == "Aces"


def test_deleting_a_list_keeps_customers_and_they_fall_back(owner):
    vip = create_list(performer=owner, name="VIP")
    old = make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    assert delete_list(performer=owner, customer_list=vip) == MembersUpdate(1, in_background=False)
    old.refresh_from_db()
    assert old.list_label == "Unassigned"
    assert not CustomerList.objects.exists()


def test_add_and_remove_members_keep_other_lists(owner):
    vip, fans = create_list(performer=owner, name="VIP"), create_list(performer=owner, name="Fans")
    make_customer(owner, "alice")
    make_customer(owner, "bob")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[fans])
    assert (
        add_to_list(performer=owner, customer_list=vip, customers=named(owner, "alice", "bob")) == 2
    )
    assert Customer.objects.get(member_name="alice").list_names == "Fans, VIP"
    assert (
        remove_from_list(performer=owner, customer_list=vip, customers=named(owner, "alice")) == 1
    )
    assert Customer.objects.get(member_name="alice").list_names == "Fans"
    assert Customer.objects.get(member_name="bob").list_names == "VIP"


def test_blocked_customers_are_not_added_to_lists(owner):
    vip = create_list(performer=owner, name="VIP")
    make_customer(owner, "alice")
    block_customers(performer=owner, customers=named(owner, "alice"))
    assert add_to_list(performer=owner, customer_list=vip, customers=named(owner, "alice")) == 0


def test_a_customer_can_be_in_any_number_of_long_named_lists(owner):
    # 40 lists of 60 two-byte characters: ~2,500 characters of names, ~4,800 bytes.
    make_customer(owner, "alice")
    lists = [create_list(performer=owner, name=f"{n:02d}" + "é" * 58) for n in range(40)]

    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=lists)
    add_to_list(
        performer=owner,
        customer_list=create_list(performer=owner, name="zz"),
        customers=named(owner, "alice"),
    )

    alice = named(owner, "alice").get()
    assert alice.list_names == ", ".join([lst.name for lst in lists] + ["zz"])
    assert Membership.objects.filter(customer=alice).count() == 41


def test_the_lists_sort_compares_the_first_255_characters_then_the_member_name(owner):
    from mycustomers.models import LISTS_SORT_LENGTH

    long_lists = [create_list(performer=owner, name=f"{n:02d}" + "x" * 58) for n in range(5)]
    for name, extra in (("alice", "b"), ("bob", "a")):
        make_customer(owner, name)
        set_customer_lists(
            performer=owner,
            customers=named(owner, name),
            lists=[*long_lists, create_list(performer=owner, name=f"{extra}-{name}")],
        )
    visible = Customer.objects.for_performer(owner).visible()
    assert all(len(c.list_names) > LISTS_SORT_LENGTH for c in visible)

    # The names differ only after the first 255 characters: the member name decides.
    assert [c.member_name for c in visible.sorted_by("lists")] == ["alice", "bob"]
    assert [c.member_name for c in visible.sorted_by("lists", descending=True)] == ["bob", "alice"]
