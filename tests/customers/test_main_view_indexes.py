"""The main view's queries match their indexes (EXPLAIN), so they stay fast at 100k rows.

A few rows make any plan fast, so the planner is told to avoid sequential scans, bitmap
scans and sorts: if a query's ORDER BY or WHERE stops matching an index expression exactly
(a collation, a CASE label order, NULLS FIRST), the plan falls back to a Sort or a
sequential scan and these tests fail.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import Q

from lists.models import CustomerList, Membership, in_list
from mycustomers.models import COUNTER_FIELDS, Customer, Member
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

SORT_INDEXES = {
    "customer": "cust_vis_name_nick",
    **{field: f"cust_vis_{field}" for field in COUNTER_FIELDS},
    "earnings": "cust_vis_earnings",
    "last_contact": "cust_vis_last_contact_nf",
    "contact_type": "cust_vis_contact_type",
    "lists": "cust_vis_lists_ci",
}


def plan(queryset, *, avoid=("seqscan", "bitmapscan", "sort"), only=()) -> str:
    """EXPLAIN, with the planner told to avoid ``avoid``; with ``only``, every other plain
    index of the customer table is dropped first (inside the test's transaction)."""
    with connection.cursor() as cursor:
        for method in avoid:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        if only:
            table = Customer._meta.db_table
            cursor.execute(
                """
                SELECT i.relname, c.conname FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
                WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                AND NOT i.relname = ANY(%s)
                """,
                [table, list(only)],
            )
            for index, constraint in cursor.fetchall():
                if constraint:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
                else:
                    cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")
    return queryset.explain()


@pytest.fixture
def customers(owner):
    for name in ("alice", "bob", "carol"):
        make_customer(owner, name)
    # Enough rows for the planner to prefer a selective index to the unique one.
    members = Member.objects.bulk_create(Member(name=f"filler{n:03d}") for n in range(300))
    Customer.objects.bulk_create(
        # Nicknames too: an all-empty nickname index would be a cheap way to list every
        # visible row, which the planner, told to avoid scans, then takes for search.
        Customer(
            performer=owner, member=m, member_name=m.name, nickname=f"n{m.name}", list_names="x"
        )
        for m in members
    )
    return Customer.objects.for_performer(owner)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("key", sorted(SORT_INDEXES))
def test_every_sort_reads_its_index_in_order(customers, key, descending):
    text = plan(customers.visible().sorted_by(key, descending=descending)[:20])

    assert f" using {SORT_INDEXES[key]} " in text
    assert "Sort" not in text.replace("Index Scan Backward", "")


@pytest.mark.parametrize(
    "field, index", [("member_name", "cust_vis_name_trgm"), ("nickname", "cust_vis_nick_trgm")]
)
def test_search_uses_the_trigram_indexes_on_name_and_nickname(customers, field, index):
    # Each half of CustomerQuerySet.search on its own: the trigram indexes are partial
    # (visible rows), and on a few hundred rows the planner, told to avoid scans, would
    # rather read all of one of them to list the visible rows than combine both.
    searched = customers.visible().filter(**{f"{field}__icontains": "ann"})
    expression = f'UPPER("mycustomers_customer"."{field}"::text) LIKE'
    assert expression in str(customers.visible().search("ann").query)
    text = plan(searched, avoid=("seqscan", "indexscan"), only=[index])
    assert f"Bitmap Index Scan on {index}" in text
    assert f"Index Cond: (upper(({field})::text) ~~ '%ANN%'::text)" in text


def test_a_search_too_short_for_trigrams_reads_the_name_index_alone(customers):
    text = plan(customers.visible().search("a").values("performer"), only=["cust_vis_name_nick"])
    assert "Index Only Scan using cust_vis_name_nick" in text
    assert ">= ''::text" in text  # the range that makes the planner choose it at 100k rows
    matching = Q(member_name__icontains="a") | Q(nickname__icontains="a")
    assert set(customers.visible().search("a")) == set(customers.visible().filter(matching))


def test_an_initial_is_a_range_on_the_name_index(customers):
    text = plan(customers.visible().starting_with("B").sorted_by("customer")[:20])
    assert "Index Cond" in text
    assert "cust_vis_name_nick" in text
    assert "Sort" not in text


def test_the_visible_customers_are_counted_from_a_sort_index_alone(customers):
    text = plan(customers.visible().values("performer"), only=["cust_vis_live_calls"])
    assert "Index Only Scan using cust_vis_live_calls" in text


@pytest.mark.parametrize("key", ["new", "unassigned"])
def test_new_and_unassigned_are_counted_from_the_no_list_index(customers, key):
    text = plan(in_list(customers, key).values("performer"), only=["cust_vis_no_list"])
    assert " using cust_vis_no_list " in text


@pytest.fixture
def listed(owner, customers):
    """A list of a few percent of the customers, as a performer's lists are (~4,000 of 100,000)."""
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    Membership.objects.bulk_create(
        Membership(performer=owner, customer_list=vip, customer=c) for c in customers[::30]
    )
    return in_list(customers, vip.pk)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("key", sorted(set(SORT_INDEXES) - {"lists"}))
def test_a_page_of_a_custom_list_walks_the_sort_index_with_a_semi_join(listed, key, descending):
    text = plan(listed.sorted_by(key, descending=descending)[:20])
    assert f" using {SORT_INDEXES[key]} " in text
    assert "Sort" not in text.replace("Index Scan Backward", "")
    # Each row the walk meets is looked up in the list's memberships (by whichever of their
    # indexes the statistics left by earlier tests favour): no array of them all.
    assert re.search(
        r"(Index Only Scan|Index Scan) using \S*membership\S* on lists_membership", text
    )
    assert "ANY" not in text


def test_a_custom_list_sorted_by_lists_sorts_its_members(listed):
    """Every member's list names hold the list's own: the lists index would be walked past
    the customers in no list first, so the members are fetched by key and sorted."""
    text = plan(listed.sorted_by("lists")[:20], avoid=("seqscan", "bitmapscan"))
    assert "cust_vis_lists_ci" not in text
    assert re.search(r"Index Scan using mycustomers_customer_pkey", text)
    assert [c.member_name for c in listed.sorted_by("lists")] == [
        c.member_name for c in listed.order_by("list_names", "member_name")
    ]


def test_a_custom_list_is_counted_from_its_memberships(listed):
    text = plan(listed.values("performer"), avoid=("seqscan",))
    # An index scan or a bitmap of the list's memberships, as the row estimate goes; then
    # each member by primary key.
    assert re.search(
        r"(Index Only Scan using|Index Scan using|Bitmap Index Scan on) \S*membership\S*", text
    )
    assert "mycustomers_customer_pkey" in text


@pytest.mark.parametrize("key", ["live_calls", "contact_type"])
def test_a_page_reads_its_keys_from_the_sort_index_only(customers, key):
    from mycustomers.tables import CustomerPaginator

    ordered = customers.visible().sorted_by(key, descending=True)
    text = plan(ordered.values("member_name")[:20])
    assert f"Index Only Scan Backward using {SORT_INDEXES[key]}" in text
    page = CustomerPaginator(ordered, 20).page(1).object_list
    assert [c.member_name for c in page] == [c.member_name for c in ordered[:20]]


def test_caller_suggestions_of_two_characters_are_a_range_on_the_name_index(customers):
    # The header's caller lookup (views.lookup.CallerSuggestionsView): the first names in
    # order from the index, no sort and no scan of the table.
    text = plan(customers.callers_like("fi")[:8])
    assert " using cust_vis_name_nick " in text
    assert "Sort" not in text
    assert re.search(r"Index Cond: .*>= 'FI'.*< 'FJ'", text)


def test_the_missed_call_count_is_an_index_only_scan_of_its_partial_index(customers):
    """The summary strip's "missed calls to return" and the missed=1 filter's count."""
    text = plan(customers.visible().with_missed_call().values("performer"))
    assert "Index Only Scan using cust_vis_missed" in text
