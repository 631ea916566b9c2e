"""Main view filters (M8–M10): search, initial letter, display list, and their combinations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from tests.customers.main_view_helpers import customer, get, names
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def assign(performer, customer_list, *member_names):
    set_customer_lists(
        performer=performer,
        customers=Customer.objects.for_performer(performer).filter(member_name__in=member_names),
        lists=[customer_list],
    )


# Search (M8)


@pytest.fixture
def people(owner):
    for name, nickname in [
        ("AnnaBelle", ""),
        ("joanne", "Jo"),
        ("Bob", "Hannah's husband"),
        ("carl", ""),
        ("100%real", ""),
        ("under_score", ""),
    ]:
        customer(owner, name, nickname=nickname)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ann", ["AnnaBelle", "Bob", "joanne"]),  # Bob by nickname "Hannah's husband"
        ("ANNE", ["joanne"]),
        ("belle", ["AnnaBelle"]),
        ("jo", ["joanne"]),
        ("a", ["AnnaBelle", "Bob", "carl", "joanne", "100%real"]),
        ("zzz", []),
    ],
)
def test_search_finds_all_or_part_of_a_member_name_or_nickname_ignoring_case(
    owner_client, people, q, expected
):
    response = get(owner_client, q=q, sort="customer")
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)


def test_search_treats_percent_and_underscore_literally(owner_client, people):
    assert names(get(owner_client, q="%")) == ["100%real"]
    assert names(get(owner_client, q="_")) == ["under_score"]


def test_search_ignores_surrounding_spaces(owner_client, people):
    assert names(get(owner_client, q="  carl ")) == ["carl"]


def test_search_never_finds_another_performers_customers(owner_client, colleague, people):
    make_customer(colleague, "Annabel")
    assert "Annabel" not in names(get(owner_client, q="annab"))


def test_search_text_is_kept_in_the_box_and_the_links(owner_client, people):
    response = get(owner_client, q="ann")
    content = response.content.decode()
    assert 'name="q" id="id_q" value="ann"' in content
    assert "?q=ann&amp;letter=B" in content
    assert "matching “ann”" in content


# Initial letter (M9)


@pytest.fixture
def initials(owner):
    for name in ["bob", "Bill", "alice", "7even", "0zero", "42", "_under", "Émile", "Øyvind"]:
        customer(owner, name)


@pytest.mark.parametrize(
    ("letter", "expected"),
    [
        ("B", ["Bill", "bob"]),
        ("b", ["Bill", "bob"]),
        ("A", ["alice"]),
        ("#", ["0zero", "42", "7even"]),
        ("7", ["7even"]),
        ("0", ["0zero"]),
        ("Z", []),
        # A letter with a mark is its base letter: "Émile" under E, "Øyvind" under O.
        ("E", ["Émile"]),
        ("O", ["Øyvind"]),
    ],
)
def test_the_letter_navigation_shows_names_starting_with_that_letter_or_digit(
    owner_client, initials, letter, expected
):
    response = get(owner_client, letter=letter, sort="customer")
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize("letter", ["%%", "AB", "É", "_", "", " ", "\x00", "ß", "10"])
def test_anything_else_as_a_letter_is_ignored(owner_client, initials, letter):
    response = get(owner_client, letter=letter)
    assert response.status_code == 200
    assert len(names(response)) == 9


@pytest.mark.parametrize(
    "name", ["Émile", "émile", "Ēmīlė", "Łukasz", "Ñoño", "Şule", "Ærø", "Ðora", "Ấn", "ẞtefan"]
)
def test_a_name_with_a_marked_first_letter_is_under_its_base_letter(owner_client, owner, name):
    customer(owner, name)
    for letter in "ELNSADA":
        shown = names(get(owner_client, letter=letter))
        assert (name in shown) == (letter == _base(name)), (name, letter)


def _base(name: str) -> str:
    return {"Ł": "L", "Ñ": "N", "Ş": "S", "Æ": "A", "Ð": "D", "Ấ": "A", "ẞ": "S"}.get(
        name[0].upper(), "E"
    )


def test_names_sort_with_their_marks_folded(owner_client, owner):
    for name in ["Emily", "Zoe", "Émile", "Eve", "Øyvind", "Oscar", "élodie", "Emil"]:
        customer(owner, name)
    response = get(owner_client, sort="customer")
    assert names(response) == ["élodie", "Emil", "Émile", "Emily", "Eve", "Oscar", "Øyvind", "Zoe"]


def test_the_current_letter_is_marked(owner_client, initials):
    content = get(owner_client, letter="b").content.decode()
    assert '<a href="?letter=B" aria-current="true">B</a>' in content
    assert '<a href="?letter=%23" aria-label="Any digit">#</a>' in content


# Display list (M10)


@pytest.fixture
def vip(owner):
    return CustomerList.objects.create(performer=owner, name="VIP")


@pytest.fixture
def book(owner, vip):
    """fresh: new; settled: unassigned; valued, bernard: in VIP; banned: blocked;
    gone: deleted (was in VIP); referred: affiliate, unassigned."""
    add_event(owner, "fresh", ago=timedelta(days=2))
    make_customer(owner, "settled")
    make_customer(owner, "valued")
    make_customer(owner, "bernard")
    make_customer(owner, "gone")
    assign(owner, vip, "valued", "bernard", "gone")
    customer(owner, "gone", status=CustomerStatus.DELETED)
    customer(owner, "banned", status=CustomerStatus.BLOCKED)
    customer(owner, "referred", affiliate_referral=True)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("", ["bernard", "fresh", "referred", "settled", "valued"]),
        ("new", ["fresh"]),
        ("unassigned", ["referred", "settled"]),
        ("blocked", ["banned"]),
        ("affiliate", ["referred"]),
    ],
)
def test_a_default_list_narrows_the_table_to_its_customers(owner_client, book, key, expected):
    response = get(owner_client, list=key, sort="customer")
    assert response.status_code == 200
    assert names(response) == expected


def test_a_custom_list_shows_its_visible_members(owner_client, book, vip):
    response = get(owner_client, list=vip.pk, sort="customer")
    assert names(response) == ["bernard", "valued"]
    assert "in VIP" in response.content.decode()


def test_the_blocked_list_shows_blocked_in_the_lists_column(owner_client, book):
    assert '<td class="lists">Blocked</td>' in get(owner_client, list="blocked").content.decode()


def test_the_pull_down_offers_default_and_custom_lists(owner, owner_client, vip):
    CustomerList.objects.create(performer=owner, name="aardvarks")
    make_customer(owner, "alice")
    content = get(owner_client, list=vip.pk).content.decode()

    assert '<option value="new">New Customers</option>' in content
    assert '<option value="unassigned">Unassigned</option>' in content
    assert '<option value="blocked">Blocked</option>' in content
    assert "Affiliate Referral" not in content  # nobody came through the affiliate link
    custom = content[content.index('label="Your lists"') :]
    assert custom.index("aardvarks") < custom.index("VIP")
    assert f'<option value="{vip.pk}" selected>VIP</option>' in content


def test_the_affiliate_list_is_offered_once_a_referred_customer_exists(owner, owner_client):
    customer(owner, "referred", affiliate_referral=True)
    assert b'<option value="affiliate">Affiliate Referral</option>' in get(owner_client).content


def test_another_performers_list_id_is_refused_without_showing_their_customers(
    owner, colleague, owner_client, book
):
    theirs = CustomerList.objects.create(performer=colleague, name="Their VIPs")
    make_customer(colleague, "their-customer")
    assign(colleague, theirs, "their-customer")

    response = get(owner_client, list=theirs.pk)

    assert response.status_code == 400
    assert names(response) == []
    content = response.content.decode()
    assert "That list does not exist" in content
    assert "their-customer" not in content
    assert "Their VIPs" not in content


@pytest.mark.parametrize("key", ["999999", "deleted", "-1", "1.0", "vip", "%00"])
def test_an_unknown_list_is_a_clear_400(owner_client, book, key):
    response = get(owner_client, list=key)
    assert response.status_code == 400
    assert names(response) == []


# Combinations


def test_filters_combine(owner, owner_client, book, vip):
    make_customer(owner, "Bertha")
    assign(owner, vip, "valued", "bernard", "Bertha")

    assert names(get(owner_client, list=vip.pk, letter="B", sort="customer")) == [
        "bernard",
        "Bertha",
    ]
    assert names(get(owner_client, list=vip.pk, q="val")) == ["valued"]
    assert names(get(owner_client, list=vip.pk, letter="B", q="tha")) == ["Bertha"]
    assert names(get(owner_client, list="unassigned", q="e", sort="customer")) == [
        "referred",
        "settled",
    ]


def test_a_new_filter_starts_at_page_one_and_keeps_the_others(owner_client, book, vip):
    response = get(owner_client, list=vip.pk, sort="customer", per_page=10, page=2)
    initials = dict((i, url) for i, url, _current in response.context["initials"])
    assert initials["B"] == f"?letter=B&list={vip.pk}&sort=customer&per_page=10"
    assert response.context["all_initials_url"] == f"?list={vip.pk}&sort=customer&per_page=10"
