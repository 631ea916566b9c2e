"""The lists page (/lists/): default and custom lists with counts, create, rename, delete."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contacts.models import Activity, ActivityVerb
from lists.models import CustomerList, Membership
from lists.services import create_list, refresh_list_names, set_customer_lists
from mycustomers.models import Customer
from mycustomers.selection import selected
from mycustomers.services import block_customers, delete_customers, unblock_customers
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db

INDEX = reverse("lists:index")
CREATE = reverse("lists:create")


def named(performer, *names):
    return Customer.objects.for_performer(performer).filter(member_name__in=names)


def list_counts(client) -> dict[str, int]:
    """Every row of the lists table, in order: {list name: member count}."""
    response = client.get(INDEX)
    assert response.status_code == 200
    rows = {row.name: row.member_count for row in response.context["default_lists"]}
    return rows | {lst.name: lst.member_count for lst in response.context["custom_lists"]}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# The lists page


def test_a_brand_new_performer_has_the_default_lists_with_zero_counts(owner_client):
    response = owner_client.get(INDEX)
    assert list_counts(owner_client) == {"New Customers": 0, "Unassigned": 0, "Blocked": 0}
    content = response.content.decode()
    assert "Affiliate Referral" not in content
    assert "You have no lists of your own yet" in content
    assert 'value="rename"' not in content


def test_affiliate_referral_appears_once_a_customer_joined_through_the_affiliate_link(
    owner, owner_client
):
    make_customer(owner, "alice")
    assert "Affiliate Referral" not in list_counts(owner_client)
    referred = make_customer(owner, "bob")
    Customer.objects.filter(pk=referred.pk).update(affiliate_referral=True)
    assert list_counts(owner_client)["Affiliate Referral"] == 1


def test_default_lists_come_first_then_custom_lists_alphabetically(owner, owner_client):
    for name in ("zebra", "Apples", "mango"):
        create_list(performer=owner, name=name)
    assert list(list_counts(owner_client)) == [
        "New Customers",
        "Unassigned",
        "Blocked",
        "Apples",
        "mango",
        "zebra",
    ]


def test_counts_follow_assign_block_unblock_and_delete(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    add_event(owner, "nina")  # first contact yesterday: new
    for name in ("olga", "oscar", "paul", "quinn"):
        make_customer(owner, name)
    set_customer_lists(performer=owner, customers=named(owner, "olga", "oscar"), lists=[vip])
    block_customers(performer=owner, customers=named(owner, "paul"))
    expected = {"New Customers": 1, "Unassigned": 1, "Blocked": 1, "VIP": 2}
    assert list_counts(owner_client) == expected

    unblock_customers(performer=owner, customers=named(owner, "paul"))
    expected |= {"Unassigned": 2, "Blocked": 0}
    assert list_counts(owner_client) == expected

    delete_customers(performer=owner, customers=named(owner, "oscar", "quinn"))
    expected |= {"Unassigned": 1, "VIP": 1}
    assert list_counts(owner_client) == expected

    block_customers(performer=owner, customers=named(owner, "olga", "nina"))
    assert list_counts(owner_client) == {
        "New Customers": 0,
        "Unassigned": 1,
        "Blocked": 2,
        "VIP": 0,
    }


def test_assigning_a_new_customer_moves_them_out_of_new_customers(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    add_event(owner, "nina")
    assert list_counts(owner_client)["New Customers"] == 1
    set_customer_lists(performer=owner, customers=named(owner, "nina"), lists=[vip])
    assert list_counts(owner_client) == {
        "New Customers": 0,
        "Unassigned": 0,
        "Blocked": 0,
        "VIP": 1,
    }


def test_another_performers_customers_and_lists_are_not_counted(owner, colleague, owner_client):
    theirs = create_list(performer=colleague, name="Theirs")
    make_customer(colleague, "carl")
    set_customer_lists(performer=colleague, customers=named(colleague, "carl"), lists=[theirs])
    add_event(colleague, "nina")
    assert list_counts(owner_client) == {"New Customers": 0, "Unassigned": 0, "Blocked": 0}
    assert b"Theirs" not in owner_client.get(INDEX).content


def test_each_list_opens_the_main_view_filtered_to_it(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    content = owner_client.get(INDEX).content.decode()
    for key in ("new", "unassigned", "blocked", vip.pk):
        assert f'href="/customers/?list={key}"' in content
    assert f'href="{vip.get_absolute_url()}"' in content


def test_each_count_matches_the_main_view_filtered_to_that_list(owner, owner_client):
    vip, fans = create_list(performer=owner, name="VIP"), create_list(performer=owner, name="Fans")
    add_event(owner, "nina")
    for name in ("olga", "oscar", "paul", "quinn", "rita"):
        make_customer(owner, name)
    Customer.objects.filter(member_name__in=["nina", "olga"]).update(affiliate_referral=True)
    set_customer_lists(performer=owner, customers=named(owner, "olga", "oscar"), lists=[vip])
    set_customer_lists(performer=owner, customers=named(owner, "oscar", "rita"), lists=[fans])
    block_customers(performer=owner, customers=named(owner, "paul"))
    delete_customers(performer=owner, customers=named(owner, "rita"))

    response = owner_client.get(INDEX)
    rows = [(row.key, row.member_count) for row in response.context["default_lists"]]
    rows += [(lst.pk, lst.member_count) for lst in response.context["custom_lists"]]
    assert len(rows) == 6
    for key, count in rows:
        shown = owner_client.get(reverse("customers:list"), {"list": key, "per_page": 50})
        assert shown.context["table"].page.paginator.count == count, key


def test_only_custom_lists_have_a_radio_button(owner, owner_client):
    lists = [create_list(performer=owner, name=n) for n in ("VIP", "Fans")]
    response = owner_client.get(INDEX)
    content = response.content.decode()
    assert content.count('type="radio"') == 2
    for customer_list in lists:
        assert f'name="list" value="{customer_list.pk}"' in content
    assert 'value="rename"' in content
    assert 'value="delete"' in content


def test_html_in_a_list_name_is_accepted_and_escaped(owner, owner_client):
    response = owner_client.post(CREATE, {"name": "<b>x</b>"}, follow=True)
    assert CustomerList.objects.get(performer=owner).name == "<b>x</b>"
    content = response.content.decode()
    assert "<b>x</b>" not in content
    assert "&lt;b&gt;x&lt;/b&gt;" in content


def test_the_lists_page_runs_the_same_queries_for_1_or_20_lists(
    owner, owner_client, django_assert_max_num_queries
):
    make_customer(owner, "alice")
    create_list(performer=owner, name="List 0")
    with django_assert_max_num_queries(9) as one:
        owner_client.get(INDEX)
    lists = [create_list(performer=owner, name=f"List {n}") for n in range(1, 20)]
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=lists)
    with django_assert_max_num_queries(9) as twenty:
        response = owner_client.get(INDEX)
    assert len(twenty.captured_queries) == len(one.captured_queries)
    assert len(response.context["custom_lists"]) == 20


def test_the_lists_page_counts_again_only_what_changed(
    owner, owner_client, django_assert_num_queries
):
    make_customer(owner, "alice")
    vip = create_list(performer=owner, name="VIP")
    owner_client.get(INDEX)
    # Session, user, the New count (it changes with time alone), the lists' names and the
    # smart lists (the empty banner is cached).
    with django_assert_num_queries(5):
        owner_client.get(INDEX)
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    response = owner_client.get(INDEX)
    assert [lst.member_count for lst in response.context["custom_lists"]] == [1]
    assert {row.key: row.member_count for row in response.context["default_lists"]}[
        "unassigned"
    ] == 0


def test_it_needs_a_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Create


def test_it_creates_a_list_and_says_so(owner, owner_client):
    response = owner_client.post(CREATE, {"name": "  Big   spenders "})
    assert response.status_code == 302
    assert response.url == INDEX
    assert CustomerList.objects.get(performer=owner).name == "Big spenders"
    assert messages_of(response) == ["Created the list “Big spenders”."]


def test_the_create_page_shows_the_name_form(owner_client):
    response = owner_client.get(CREATE)
    assert response.status_code == 200
    assert b"Create List" in response.content


BAD_NAMES = [
    ("", "Enter a list name."),
    ("   ", "Enter a list name."),
    ("x" * 61, "List names can be at most 60 characters."),
    ("vip", "You already have a list called “vip”."),
    ("Blocked", "“Blocked” is one of the default lists; choose another name."),
    ("new CUSTOMERS", "“new CUSTOMERS” is one of the default lists; choose another name."),
    ("affiliate referral", "is one of the default lists"),
]


@pytest.mark.parametrize("bad, error", BAD_NAMES)
def test_it_refuses_bad_names_with_a_field_error(owner, owner_client, bad, error):
    create_list(performer=owner, name="VIP")
    response = owner_client.post(CREATE, {"name": bad})
    assert response.status_code == 400
    assert error in response.context["form"].errors["name"][0]
    assert "errorlist" in response.content.decode()
    assert list(CustomerList.objects.values_list("name", flat=True)) == ["VIP"]


def test_sixty_characters_are_fine(owner, owner_client):
    owner_client.post(CREATE, {"name": "x" * 60})
    assert CustomerList.objects.get(performer=owner).name == "x" * 60


def test_another_performers_list_name_is_free_to_use(owner, colleague, owner_client):
    create_list(performer=colleague, name="VIP")
    assert owner_client.post(CREATE, {"name": "VIP"}).status_code == 302
    assert CustomerList.objects.filter(performer=owner, name="VIP").exists()


# Choosing a list with the radio buttons


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_rename_and_delete_buttons_open_the_chosen_lists_page(owner, owner_client, action):
    vip = create_list(performer=owner, name="VIP")
    response = owner_client.get(reverse("lists:choose"), {"list": vip.pk, "action": action})
    assert response.status_code == 302
    assert response.url == reverse(f"lists:{action}", args=[vip.pk])


def test_rename_without_a_selection_comes_back_with_a_message(owner, owner_client):
    create_list(performer=owner, name="VIP")
    response = owner_client.get(reverse("lists:choose"), {"action": "rename"})
    assert response.status_code == 302
    assert response.url == INDEX
    assert messages_of(response) == ["Select one of your lists, then Rename or Delete."]


@pytest.mark.parametrize("value", ["new", "blocked", "abc", "999999"])
def test_default_or_unknown_lists_cannot_be_chosen(owner_client, value):
    response = owner_client.get(reverse("lists:choose"), {"list": value, "action": "rename"})
    assert response.status_code == 404


# Rename


def test_renaming_updates_the_name_members_and_activity(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    response = owner_client.post(reverse("lists:rename", args=[vip.pk]), {"name": " Aces "})
    assert response.status_code == 302
    assert response.url == INDEX
    assert messages_of(response) == ["Renamed the list “VIP” to “Aces”."]
    vip.refresh_from_db()
    assert vip.name == "Aces"
    alice = Customer.objects.get(member_name="alice")
    assert alice.list_names == "Aces"
    assert alice.activities.filter(
        verb=ActivityVerb.LISTS_CHANGED, detail="List “VIP” renamed to “Aces”"
    ).exists()


def test_the_rename_page_shows_the_current_name(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    response = owner_client.get(reverse("lists:rename", args=[vip.pk]))
    assert response.status_code == 200
    assert response.context["form"]["name"].value() == "VIP"
    assert b"Rename List" in response.content


def test_a_list_can_change_only_the_case_of_its_name(owner, owner_client):
    vip = create_list(performer=owner, name="vip")
    owner_client.post(reverse("lists:rename", args=[vip.pk]), {"name": "VIP"})
    vip.refresh_from_db()
    assert vip.name == "VIP"


def test_keeping_the_same_name_changes_nothing(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    before = Activity.objects.count()
    response = owner_client.post(reverse("lists:rename", args=[vip.pk]), {"name": "VIP"})
    assert response.status_code == 302
    assert Activity.objects.count() == before


@pytest.mark.parametrize("bad, error", BAD_NAMES)
def test_renaming_refuses_bad_names(owner, owner_client, bad, error):
    create_list(performer=owner, name="VIP")
    fans = create_list(performer=owner, name="Fans")
    response = owner_client.post(reverse("lists:rename", args=[fans.pk]), {"name": bad})
    assert response.status_code == 400
    assert error in response.context["form"].errors["name"][0]
    fans.refresh_from_db()
    assert fans.name == "Fans"


def test_renaming_changes_the_order_of_the_lists_column(owner, owner_client):
    """The main view sorts its Customer lists column on ``list_names``."""
    ann, zed = create_list(performer=owner, name="Ann"), create_list(performer=owner, name="Zed")
    make_customer(owner, "alice")
    make_customer(owner, "bob")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[ann])
    set_customer_lists(performer=owner, customers=named(owner, "bob"), lists=[zed])
    by_lists = Customer.objects.for_performer(owner).visible().sorted_by("lists")
    assert list(by_lists.values_list("member_name", flat=True)) == ["alice", "bob"]
    owner_client.post(reverse("lists:rename", args=[ann.pk]), {"name": "Zulu"})
    assert list(by_lists.values_list("member_name", "list_names")) == [
        ("bob", "Zed"),
        ("alice", "Zulu"),
    ]


def test_the_main_view_sorted_by_lists_follows_a_rename(owner, owner_client):
    ann, zed = create_list(performer=owner, name="Ann"), create_list(performer=owner, name="Zed")
    make_customer(owner, "alice")
    make_customer(owner, "bob")
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[ann])
    set_customer_lists(performer=owner, customers=named(owner, "bob"), lists=[zed])

    def by_lists() -> list[str]:
        response = owner_client.get(reverse("customers:list"), {"sort": "lists"})
        return [row.record.member_name for row in response.context["table"].page.object_list]

    assert by_lists() == ["alice", "bob"]
    owner_client.post(reverse("lists:rename", args=[ann.pk]), {"name": "Zulu"})
    assert by_lists() == ["bob", "alice"]


# Delete


def test_the_delete_page_says_how_many_customers_and_that_they_stay(owner, owner_client):
    vip = create_list(performer=owner, name="VIP")
    for name in ("alice", "bob", "gone"):
        make_customer(owner, name)
    set_customer_lists(performer=owner, customers=named(owner, "alice", "bob", "gone"), lists=[vip])
    delete_customers(performer=owner, customers=named(owner, "gone"))
    response = owner_client.get(reverse("lists:delete", args=[vip.pk]))
    assert response.status_code == 200
    content = " ".join(response.content.decode().split())
    assert "This list has <strong>2 customers</strong>" in content
    assert "Deleting the list does not delete them" in content
    assert CustomerList.objects.filter(pk=vip.pk).exists()


def test_deleting_a_list_keeps_its_customers_who_fall_back_to_unassigned(owner, owner_client):
    vip, fans = create_list(performer=owner, name="VIP"), create_list(performer=owner, name="Fans")
    for name in ("alice", "bob"):
        make_customer(owner, name)
    set_customer_lists(performer=owner, customers=named(owner, "alice"), lists=[vip])
    set_customer_lists(performer=owner, customers=named(owner, "bob"), lists=[vip, fans])
    response = owner_client.post(reverse("lists:delete", args=[vip.pk]))
    assert response.status_code == 302
    assert response.url == INDEX
    assert messages_of(response) == [
        "Deleted the list “VIP” (2 customers). No customer was deleted: those in no other "
        "list are now Unassigned (or New Customers)."
    ]
    assert not CustomerList.objects.filter(pk=vip.pk).exists()
    alice, bob = Customer.objects.order_by("member_name")
    assert (alice.list_label, bob.list_label) == ("Unassigned", "Fans")
    assert list_counts(owner_client) == {
        "New Customers": 0,
        "Unassigned": 1,
        "Blocked": 0,
        "Fans": 1,
    }
    assert Activity.objects.of_customer(alice).filter(detail="List “VIP” deleted").exists()


def test_a_new_member_of_a_deleted_list_falls_back_to_new_customers(owner, owner_client):
    """Memberships loaded with the data (not through Assign, which ends "new") keep a
    customer new: with the list gone, they are a New Customer again (L6)."""
    vip = create_list(performer=owner, name="VIP")
    nina = add_event(owner, "nina")
    Membership.objects.create(performer=owner, customer_list=vip, customer=nina)
    with selected(named(owner, "nina")) as selection:
        refresh_list_names(selection)
    assert list_counts(owner_client)["New Customers"] == 0
    owner_client.post(reverse("lists:delete", args=[vip.pk]))
    nina.refresh_from_db()
    assert nina.list_label == "New Customers"
    assert list_counts(owner_client)["New Customers"] == 1


# Tenancy


LIST_PAGES = ["edit", "add", "remove", "rename", "delete"]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", LIST_PAGES)
def test_another_performers_list_is_a_404_and_nothing_changes(
    owner_client, colleague, page, method
):
    theirs = create_list(performer=colleague, name="Theirs")
    carl = make_customer(colleague, "carl")
    set_customer_lists(performer=colleague, customers=named(colleague, "carl"), lists=[theirs])
    before = (
        list(CustomerList.objects.values_list("pk", "name")),
        list(Membership.objects.values_list("customer_list", "customer")),
        Activity.objects.count(),
    )
    url = reverse(f"lists:{page}", args=[theirs.pk])
    data = {"name": "Mine now", "names": "carl", "customers": [carl.pk]}
    response = getattr(owner_client, method)(url, data)
    assert response.status_code == 404
    assert b"Theirs" not in response.content
    assert before == (
        list(CustomerList.objects.values_list("pk", "name")),
        list(Membership.objects.values_list("customer_list", "customer")),
        Activity.objects.count(),
    )


def test_choosing_another_performers_list_is_a_404(owner_client, colleague):
    theirs = create_list(performer=colleague, name="Theirs")
    response = owner_client.get(reverse("lists:choose"), {"list": theirs.pk, "action": "delete"})
    assert response.status_code == 404
