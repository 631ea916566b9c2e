"""Add to List and Remove from List over a selection (F7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.models import Customer, MassAction
from mycustomers.services import block_customers
from tests.customers.main_view_helpers import LIST_URL, customer

pytestmark = pytest.mark.django_db
ADD, REMOVE = reverse("customers:add_to_list"), reverse("customers:remove_from_list")


@pytest.fixture
def vip(owner):
    return CustomerList.objects.create(performer=owner, name="VIP")


@pytest.fixture
def people(owner, vip):
    made = {name: customer(owner, name) for name in ("ann", "bob", "cid", "dee")}
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="ann"), lists=[vip]
    )
    block_customers(performer=owner, customers=Customer.objects.filter(member_name="dee"))
    return made


def ids(*customers):
    return [c.pk for c in customers]


def message(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_add_says_how_many_joined_were_in_already_and_were_left_out(owner_client, people, vip):
    response = owner_client.post(
        ADD, {"ids": ids(*people.values()), "customer_list": vip.pk, "next": LIST_URL}
    )
    assert response.status_code == 302
    assert message(response) == (
        "Added 2 customers to VIP; 1 customer was already in it; "
        "left out 1 customer (blocked or deleted)."
    )
    members = set(
        Membership.objects.filter(customer_list=vip).values_list("customer__member_name", flat=True)
    )
    assert members == {"ann", "bob", "cid"}


def test_add_keeps_the_customers_other_lists(owner, owner_client, people, vip):
    gold = CustomerList.objects.create(performer=owner, name="Gold")
    owner_client.post(ADD, {"ids": ids(people["ann"]), "customer_list": gold.pk})
    people["ann"].refresh_from_db()
    assert people["ann"].list_names == "Gold, VIP"


def test_add_can_create_the_list(owner, owner_client, people):
    owner_client.post(ADD, {"ids": ids(people["bob"]), "new_list": "Fresh"})
    assert Customer.objects.get(member_name="bob").list_names == "Fresh"


def test_remove_says_how_many_left_and_were_not_in_it(owner_client, people, vip):
    response = owner_client.post(
        REMOVE, {"ids": ids(people["ann"], people["bob"]), "customer_list": vip.pk}
    )
    assert message(response) == "Removed 1 customer from VIP; 1 customer was not in it."
    assert Customer.objects.get(member_name="ann").list_names == ""


def test_another_performers_list_is_a_field_error(colleague, owner_client, people):
    theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
    response = owner_client.post(ADD, {"ids": ids(people["bob"]), "customer_list": theirs.pk})
    assert response.status_code == 400
    assert not Membership.objects.filter(customer_list=theirs).exists()
    assert owner_client.post(ADD, {"ids": ids(people["bob"])}).status_code == 400


def test_all_in_a_filtered_view_adds_only_its_rows(owner, owner_client, people, vip):
    Customer.objects.filter(member_name="cid").update(earnings=Decimal("500"))
    owner_client.post(ADD, {"scope": "all", "earnings_min": "100", "customer_list": vip.pk})
    assert set(
        Membership.objects.filter(customer_list=vip).values_list("customer__member_name", flat=True)
    ) == {"ann", "cid"}


@pytest.mark.parametrize("size", [3, 30])
def test_the_queries_do_not_grow_with_the_selection(
    owner, owner_client, vip, size, django_assert_max_num_queries
):
    chosen = [customer(owner, f"c{n:02d}") for n in range(size)]
    with django_assert_max_num_queries(25):
        owner_client.post(ADD, {"ids": ids(*chosen), "customer_list": vip.pk})
    assert Membership.objects.filter(customer_list=vip).count() == size


def test_a_large_selection_is_added_in_the_background(owner, owner_client, people, vip, settings):
    settings.MYCUSTOMERS = {
        **settings.MYCUSTOMERS,
        "BACKGROUND_ACTION_MIN": 2,
        "BACKGROUND_CHUNK": 2,
    }
    owner_client.post(
        ADD, {"ids": ids(people["bob"], people["cid"], people["ann"]), "customer_list": vip.pk}
    )
    action = MassAction.objects.get()
    assert action.kind == MassAction.Kind.ADD_TO_LIST and action.state == MassAction.State.DONE
    assert Membership.objects.filter(customer_list=vip).count() == 3
