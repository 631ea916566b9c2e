"""The Customer lists cell names the default lists a customer is in (M3, L1, L2): Affiliate
Referral beside the others, the same on the main view, its CSV, the detail page, the caller
card and a list's members page (issue 19)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from tests.customers.main_view_helpers import customer, days_ago, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(owner):
    return CustomerList.objects.create(performer=owner, name="VIP")


def in_lists(owner, customer_row, *lists):
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=customer_row.pk), lists=list(lists)
    )
    customer_row.refresh_from_db()
    return customer_row


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({}, "Unassigned"),
        ({"affiliate_referral": True}, "Unassigned, Affiliate Referral"),
        (
            {"affiliate_referral": True, "first_contact": days_ago(2)},
            "New Customers, Affiliate Referral",
        ),
        ({"affiliate_referral": True, "status": CustomerStatus.BLOCKED}, "Blocked"),
    ],
)
def test_the_label_names_every_default_list_the_customer_is_in(owner, fields, label):
    assert customer(owner, "ann", **fields).list_label == label


def test_an_affiliate_referral_in_a_list_of_yours_shows_both(owner, vip):
    ann = in_lists(owner, customer(owner, "ann", affiliate_referral=True), vip)
    assert ann.list_label == "VIP, Affiliate Referral"


def test_the_affiliate_referral_list_names_itself_in_every_row(
    owner, owner_client, django_assert_max_num_queries
):
    for n in range(5):
        customer(owner, f"ref{n}", affiliate_referral=True)
    with django_assert_max_num_queries(8):
        response = get(owner_client, list="affiliate")
    assert response.context["list_label"] == "Affiliate Referral"
    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert body.count('<td class="lists">') == 5
    assert body.count('<td class="lists">Unassigned, Affiliate Referral</td>') == 5


def test_the_csv_customer_lists_column_is_the_tables_cell(owner, owner_client, vip):
    in_lists(owner, customer(owner, "ann", affiliate_referral=True), vip)
    customer(owner, "bob", affiliate_referral=True)
    response = owner_client.get(reverse("customers:export"), {"sort": "customer"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Customer lists"] for row in rows] == [
        "VIP, Affiliate Referral",
        "Unassigned, Affiliate Referral",
    ]


def test_the_detail_page_and_the_caller_card_name_it_too(owner, owner_client):
    ann = customer(owner, "ann", affiliate_referral=True)
    detail = owner_client.get(ann.get_absolute_url()).content.decode()
    assert "Lists: Unassigned, Affiliate Referral" in detail
    card = owner_client.get(reverse("customers:lookup"), {"member": "ann"}).content.decode()
    assert "Lists: Unassigned, Affiliate Referral" in card


def test_a_lists_members_page_names_it_too(owner, owner_client, vip):
    in_lists(owner, customer(owner, "ann", affiliate_referral=True), vip)
    page = owner_client.get(reverse("lists:edit", args=[vip.pk])).content.decode()
    assert "<td>VIP, Affiliate Referral</td>" in page
