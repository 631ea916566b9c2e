"""The main view's exact counts are cached per performer until a write can change them
(mycustomers.counts; the data version triggers of migration 0009)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus, Performer, default_list_counts
from mycustomers.services import block_customers
from tests.customers.main_view_helpers import get
from tests.factories import MemberFactory, PerformerFactory, add_event, make_customer

pytestmark = pytest.mark.django_db


def version(performer) -> int:
    return Performer.objects.values_list("data_version", flat=True).get(pk=performer.pk)


def shown_count(response) -> int:
    assert response.status_code == 200
    return response.context["table"].page.paginator.count


@pytest.fixture
def people(owner):
    return {name: make_customer(owner, name) for name in ("Anna", "Bella", "Bob", "Carl")}


class TestWhatGivesANewDataVersion:
    def test_a_new_customer_does_and_only_for_their_performer(self, owner, colleague):
        mine, theirs = version(owner), version(colleague)
        make_customer(owner, "Anna")
        assert version(owner) > mine
        assert version(colleague) == theirs

    def test_an_event_for_a_known_customer_does(self, owner, people):
        # The Total row and the range filters read counters, earnings and the last contact.
        before = version(owner)
        add_event(owner, "Anna", ContactType.MAIL_RECEIVED, amount="4.99")
        assert version(owner) > before

    @pytest.mark.parametrize(
        "change",
        [
            {"status": CustomerStatus.BLOCKED},
            {"nickname": "Annie"},
            {"member_name": "Anne"},
            {"affiliate_referral": True},
            {"list_names": "VIP"},
            {"new_cleared": True},
            {"follow_up": "called"},
            {"live_calls": 9},
            {"earnings": 1},
        ],
    )
    def test_a_change_a_count_reads_does(self, owner, people, change):
        before = version(owner)
        Customer.objects.filter(pk=people["Anna"].pk).update(**change)
        assert version(owner) > before

    def test_an_update_that_changes_nothing_does_not(self, owner, people):
        before = version(owner)
        Customer.objects.filter(pk=people["Anna"].pk).update(nickname="", follow_up="")
        assert version(owner) == before

    def test_joining_or_leaving_a_list_does(self, owner, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        before = version(owner)
        Membership.objects.create(performer=owner, customer_list=vip, customer=people["Anna"])
        joined = version(owner)
        Membership.objects.filter(customer_list=vip).delete()
        assert before < joined < version(owner)

    def test_removing_a_customer_does(self, owner):
        # Only a customer without events can go: events protect theirs.
        eve = Customer.objects.create(
            performer=owner, member=MemberFactory(name="Eve"), member_name="Eve"
        )
        before = version(owner)
        eve.delete()
        assert version(owner) > before


@pytest.mark.django_db(transaction=True)
class TestTheVersionChangesAtCommit:
    """Outside the test transaction: the deferred trigger as production runs it."""

    def test_a_transaction_changes_it_once_at_commit(self):
        owner = PerformerFactory()
        make_customer(owner, "Anna")
        before = version(owner)
        with transaction.atomic():
            make_customer(owner, "Bella")
            Customer.objects.filter(member_name="Anna").update(nickname="Annie")
            assert version(owner) == before  # not yet
        after = version(owner)
        assert after > before
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM performer_data_change")
            assert cursor.fetchone() == (0,)  # nothing left noted

    def test_a_rolled_back_transaction_leaves_it(self):
        owner = PerformerFactory()
        make_customer(owner, "Anna")
        before = version(owner)
        with pytest.raises(RuntimeError), transaction.atomic():
            Customer.objects.update(status=CustomerStatus.BLOCKED)
            raise RuntimeError("rolled back")
        assert version(owner) == before

    def test_the_view_counts_what_another_process_committed(self, client):
        owner = PerformerFactory()
        make_customer(owner, "Anna")
        client.force_login(owner)
        assert shown_count(get(client)) == 1
        make_customer(owner, "Bella")  # committed, as by import_events
        assert shown_count(get(client)) == 2


class TestTheMainViewsCount:
    def test_a_repeated_view_does_not_count_again(
        self, owner_client, people, django_assert_num_queries
    ):
        first = get(owner_client, letter="b")
        with django_assert_num_queries(3):  # session, user, rows: no COUNT, no banner query
            again = get(owner_client, letter="b")
        assert shown_count(first) == shown_count(again) == 2

    def test_each_view_has_its_own_count(self, owner_client, people):
        assert shown_count(get(owner_client)) == 4
        assert shown_count(get(owner_client, letter="b")) == 2
        assert shown_count(get(owner_client, q="ann")) == 1
        assert shown_count(get(owner_client, list="blocked")) == 0

    def test_each_performer_has_their_own_count(self, owner_client, colleague, people):
        make_customer(colleague, "Zed")
        colleague_client = Client()
        colleague_client.force_login(colleague)
        assert shown_count(get(owner_client)) == 4
        assert shown_count(get(colleague_client)) == 1

    def test_blocking_updates_every_count(self, owner, owner_client, people):
        assert shown_count(get(owner_client)) == 4
        assert shown_count(get(owner_client, list="blocked")) == 0
        owner_client.post(reverse("customers:block"), {"ids": [people["Bob"].pk]})
        assert shown_count(get(owner_client)) == 3
        assert shown_count(get(owner_client, list="blocked")) == 1
        assert get(owner_client).context["range_text"] == "1–3 of 3"

    def test_a_new_customer_is_counted(self, owner, owner_client, people):
        assert shown_count(get(owner_client, letter="d")) == 0
        add_event(owner, "Dora")
        assert shown_count(get(owner_client, letter="d")) == 1

    def test_a_nickname_is_found_at_once(self, owner_client, people):
        assert shown_count(get(owner_client, q="sunny")) == 0
        owner_client.post(
            reverse("customers:nickname", args=[people["Carl"].pk]), {"nickname": "Sunny"}
        )
        assert shown_count(get(owner_client, q="sunny")) == 1

    def test_a_list_counts_its_new_members(self, owner, owner_client, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        assert shown_count(get(owner_client, list=vip.pk)) == 0
        set_customer_lists(
            performer=owner, customers=Customer.objects.filter(pk=people["Anna"].pk), lists=[vip]
        )
        assert shown_count(get(owner_client, list=vip.pk)) == 1
        block_customers(performer=owner, customers=Customer.objects.filter(pk=people["Anna"].pk))
        assert shown_count(get(owner_client, list=vip.pk)) == 0

    @pytest.mark.parametrize("key", ["new", "unassigned"])
    def test_lists_that_change_with_time_are_cached_until_a_customer_stops_being_new(
        self, owner, owner_client, key, django_assert_num_queries
    ):
        # Nina's 30 days as a new customer end two seconds from now.
        add_event(owner, "Nina", ago=timedelta(days=30) - timedelta(seconds=2))
        make_customer(owner, "Olga")
        assert shown_count(get(owner_client, list=key)) == 1
        with django_assert_num_queries(3):  # session, user, rows: the count is cached
            get(owner_client, list=key)
        time.sleep(2.5)
        # New no more, so Unassigned: both counted again, without any write.
        assert shown_count(get(owner_client, list=key)) == (0 if key == "new" else 2)


def test_default_list_counts_follow_time_between_writes(owner, django_assert_num_queries):
    add_event(owner, "Nina", ago=timedelta(days=2))  # new
    make_customer(owner, "Olga")  # unassigned
    owner.refresh_from_db()  # the data version a request would read
    counts = default_list_counts(owner)
    assert (counts["new"], counts["unassigned"]) == (1, 1)
    a_month_later = timezone.now() + timedelta(days=31)
    with django_assert_num_queries(1):  # New only: the rest is cached
        counts = default_list_counts(owner, now=a_month_later)
    assert (counts["new"], counts["unassigned"]) == (0, 2)


class TestTheDisplayListChoices:
    def test_they_are_read_once_per_data_version(self, owner, owner_client, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        assert "VIP" in get(owner_client).content.decode()
        vip.name = "Gold"
        vip.save()  # a rename: a new version
        content = get(owner_client).content.decode()
        assert "Gold" in content and "VIP" not in content
        vip.delete()
        assert "Gold" not in get(owner_client).content.decode()

    def test_affiliate_referral_appears_with_the_first_such_customer(self, owner_client, people):
        assert "Affiliate Referral" not in get(owner_client).content.decode()
        Customer.objects.filter(pk=people["Bob"].pk).update(affiliate_referral=True)
        assert "Affiliate Referral" in get(owner_client).content.decode()

    def test_a_repeated_view_reads_neither_count_nor_lists(
        self, owner_client, people, django_assert_num_queries
    ):
        get(owner_client)
        with django_assert_num_queries(3):  # session, user, rows (the empty banner is cached)
            get(owner_client)
