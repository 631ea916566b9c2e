"""The main view's queries match their indexes (EXPLAIN), so they stay fast at 100k rows.

A few rows make any plan fast, so the planner is told to avoid sequential scans, bitmap
scans and sorts: if a query's ORDER BY or WHERE stops matching an index expression exactly
(a collation, a CASE label order, NULLS FIRST), the plan falls back to a Sort or a
sequential scan and these tests fail.
"""

from __future__ import annotations

import pytest
from django.db import connection

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
        Customer(performer=owner, member=m, member_name=m.name, list_names="x") for m in members
    )
    return Customer.objects.for_performer(owner)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("key", sorted(SORT_INDEXES))
def test_every_sort_reads_its_index_in_order(customers, key, descending):
    text = plan(customers.visible().sorted_by(key, descending=descending)[:20])

    assert f" using {SORT_INDEXES[key]} " in text
    assert "Sort" not in text.replace("Index Scan Backward", "")


def test_search_uses_the_trigram_indexes_on_name_and_nickname(customers):
    trigram = ("customer_name_trgm", "customer_nick_trgm")
    text = plan(customers.visible().search("ann"), avoid=("seqscan", "indexscan"), only=trigram)
    assert "Bitmap Index Scan on customer_name_trgm" in text
    assert "Bitmap Index Scan on customer_nick_trgm" in text


def test_an_initial_is_a_range_on_the_name_index(customers):
    text = plan(customers.visible().starting_with("B").sorted_by("customer")[:20])
    assert "Index Cond" in text
    assert "cust_vis_name_nick" in text
    assert "Sort" not in text


def test_the_visible_customers_are_counted_from_the_small_count_index(customers):
    text = plan(customers.visible().values("performer"), only=["cust_vis_count"])
    assert "Index Only Scan using cust_vis_count" in text


@pytest.mark.parametrize("key", ["new", "unassigned"])
def test_new_and_unassigned_are_counted_from_the_no_list_index(customers, key):
    text = plan(customers.in_list(key).values("performer"), only=["cust_vis_no_list"])
    assert " using cust_vis_no_list " in text


def test_a_custom_list_reads_its_members_once_and_fetches_them_by_primary_key(customers):
    text = plan(customers.in_list(42).values("performer"), avoid=())
    assert "InitPlan" in text
    assert "Index Scan using mycustomers_customer_pkey" in text
    assert "Index Cond: (id = ANY ($0))" in text


def test_a_page_reads_its_keys_from_the_sort_index_only(customers):
    from mycustomers.tables import CustomerPaginator

    ordered = customers.visible().sorted_by("live_calls", descending=True)
    text = plan(ordered.values("member_name")[:20])
    assert "Index Only Scan Backward using cust_vis_live_calls" in text
    page = CustomerPaginator(ordered, 20).page(1).object_list
    assert [c.member_name for c in page] == [c.member_name for c in ordered[:20]]
