from __future__ import annotations

import pytest

from contacts.models import Activity, ActivityVerb, ContactEvent
from contacts.services import NewEvent, record_events
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from mycustomers.services import (
    block_customers,
    delete_customers,
    restore_customers,
    unblock_customers,
    undo_deletion,
)
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(owner):
    return CustomerList.objects.create(performer=owner, name="VIP")


def customers_named(performer, *names):
    return Customer.objects.for_performer(performer).filter(member_name__in=names)


def test_blocking_moves_customers_out_of_every_list_and_the_main_view(owner, vip):
    alice = make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=customers_named(owner, "alice"), lists=[vip])

    assert block_customers(performer=owner, customers=customers_named(owner, "alice")) == 1

    alice.refresh_from_db()
    assert alice.status == CustomerStatus.BLOCKED
    assert alice.list_names == ""
    assert alice.list_label == "Blocked"
    assert not Membership.objects.filter(customer=alice).exists()
    assert not Customer.objects.visible().filter(pk=alice.pk).exists()
    assert Activity.objects.filter(customer=alice, verb=ActivityVerb.BLOCKED).count() == 1


def test_blocking_applies_to_the_rows_selected_before_it_started(owner):
    for name in ("alice", "bob", "carol"):
        make_customer(owner, name)
    # The selection is "visible customers"; blocking changes visibility mid-action.
    assert block_customers(performer=owner, customers=Customer.objects.visible()) == 3
    assert Customer.objects.blocked().count() == 3
    # One entry for the action, in each customer's history.
    assert Activity.objects.filter(verb=ActivityVerb.BLOCKED).count() == 1
    for customer in Customer.objects.all():
        assert Activity.objects.of_customer(customer).filter(verb=ActivityVerb.BLOCKED).count() == 1


def test_unblocking_puts_customers_in_unassigned(owner):
    recent = add_event(owner, "alice")  # new: first contact yesterday
    block_customers(performer=owner, customers=customers_named(owner, "alice"))
    assert unblock_customers(performer=owner, customers=customers_named(owner, "alice")) == 1
    recent.refresh_from_db()
    assert recent.status == CustomerStatus.ACTIVE
    assert recent.list_label == "Unassigned"


def test_a_service_never_touches_another_performers_customers(owner, colleague):
    make_customer(owner, "alice")
    theirs = make_customer(colleague, "alice")
    block_customers(performer=owner, customers=Customer.objects.all())
    theirs.refresh_from_db()
    assert theirs.status == CustomerStatus.ACTIVE


def test_delete_keeps_events_notes_and_lists_and_undo_brings_them_back(owner, vip):
    alice = make_customer(owner, "alice")
    set_customer_lists(performer=owner, customers=customers_named(owner, "alice"), lists=[vip])
    events_before = ContactEvent.objects.filter(customer=alice).count()

    deletion = delete_customers(performer=owner, customers=customers_named(owner, "alice"))

    alice.refresh_from_db()
    assert deletion.count == 1
    assert alice.status == CustomerStatus.DELETED
    assert not Customer.objects.visible().filter(pk=alice.pk).exists()
    assert ContactEvent.objects.filter(customer=alice).count() == events_before

    assert undo_deletion(performer=owner, deleted_at=deletion.deleted_at) == 1
    alice.refresh_from_db()
    assert alice.status == CustomerStatus.ACTIVE
    assert alice.list_names == "VIP"
    verbs = list(Activity.objects.filter(customer=alice).values_list("verb", flat=True))
    assert verbs[:2] == [ActivityVerb.RESTORED, ActivityVerb.DELETED]


def test_undo_restores_only_that_deletion(owner):
    make_customer(owner, "alice")
    make_customer(owner, "bob")
    delete_customers(performer=owner, customers=customers_named(owner, "alice"))
    second = delete_customers(performer=owner, customers=customers_named(owner, "bob"))
    undo_deletion(performer=owner, deleted_at=second.deleted_at)
    assert list(Customer.objects.deleted().values_list("member_name", flat=True)) == ["alice"]


def test_deleting_a_blocked_customer_unblocks_them_on_restore(owner):
    make_customer(owner, "alice")
    block_customers(performer=owner, customers=customers_named(owner, "alice"))
    delete_customers(performer=owner, customers=customers_named(owner, "alice"))
    restore_customers(performer=owner, customers=customers_named(owner, "alice"))
    assert Customer.objects.get(member_name="alice").status == CustomerStatus.ACTIVE


def test_a_deleted_customer_who_calls_again_is_back(owner):
    make_customer(owner, "alice")
    delete_customers(performer=owner, customers=customers_named(owner, "alice"))
    assert add_event(owner, "alice").status == CustomerStatus.ACTIVE


@pytest.mark.parametrize(
    "action",
    [
        lambda p, qs: block_customers(performer=p, customers=qs),
        lambda p, qs: delete_customers(performer=p, customers=qs),
        lambda p, qs: set_customer_lists(
            performer=p, customers=qs, lists=list(CustomerList.objects.filter(performer=p))
        ),
    ],
    ids=["block", "delete", "assign"],
)
def test_actions_run_the_same_number_of_queries_for_10_or_500_customers(
    owner, vip, action, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(prefix: str, size: int) -> int:
        from django.utils import timezone

        now = timezone.now()
        record_events(
            performer=owner,
            events=[NewEvent(f"{prefix}{i}", "chat", now) for i in range(size)],
        )
        with CaptureQueriesContext(connection) as captured:
            action(owner, Customer.objects.filter(performer=owner, member_name__startswith=prefix))
        return len(captured)

    assert queries_for("small", 10) == queries_for("large", 500)
