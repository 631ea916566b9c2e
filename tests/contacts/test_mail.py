from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.mail import send_mail
from contacts.models import Activity, ActivityVerb, ContactEvent, Mail, MailDelivery
from contacts.reconcile import find_drift
from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from mycustomers.models import Customer
from mycustomers.once import AlreadyDone
from mycustomers.services import block_customers, delete_customers
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def named(performer, *names):
    return Customer.objects.for_performer(performer).filter(member_name__in=names)


def test_each_recipient_gets_one_delivery_and_one_mail_sent_event(owner):
    for name in ("alice", "bob"):
        make_customer(owner, name)
    result = send_mail(
        performer=owner,
        customers=named(owner, "alice", "bob"),
        subject="Hello",
        body="Come back soon",
    )
    assert result.sent == 2
    assert MailDelivery.objects.filter(mail=result.mail).count() == 2
    for customer in named(owner, "alice", "bob"):
        assert customer.mail_sent == 1
        assert customer.last_contact_type == ContactType.MAIL_SENT
        delivery = MailDelivery.objects.get(customer=customer)
        assert delivery.event.type == ContactType.MAIL_SENT
        assert Activity.objects.of_customer(customer).filter(verb=ActivityVerb.MAIL_SENT).exists()


def test_mailing_clears_the_new_badge_and_the_missed_call_flag(owner):
    alice = add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    assert alice.is_new and alice.has_missed_call
    send_mail(performer=owner, customers=named(owner, "alice"), subject="Hi", body="Sorry!")
    alice.refresh_from_db()
    assert not alice.is_new
    assert not alice.has_missed_call


def test_blocked_customers_are_skipped_and_counted(owner):
    make_customer(owner, "alice")
    make_customer(owner, "bob")
    block_customers(performer=owner, customers=named(owner, "bob"))
    result = send_mail(
        performer=owner, customers=named(owner, "alice", "bob"), subject="Hi", body="x"
    )
    assert (result.sent, result.skipped_blocked) == (1, 1)
    assert not ContactEvent.objects.filter(
        customer__member_name="bob", type=ContactType.MAIL_SENT
    ).exists()


def test_only_blocked_recipients_sends_nothing(owner):
    make_customer(owner, "bob")
    block_customers(performer=owner, customers=named(owner, "bob"))
    result = send_mail(performer=owner, customers=named(owner, "bob"), subject="Hi", body="x")
    assert result.mail is None and result.sent == 0


def test_another_performers_customers_are_never_mailed(owner, colleague):
    make_customer(colleague, "alice")
    result = send_mail(performer=owner, customers=Customer.objects.all(), subject="Hi", body="x")
    assert result.sent == 0
    assert not MailDelivery.objects.exists()


def test_mail_costs_the_same_number_of_queries_for_3_or_300_recipients(owner):
    def queries_for(prefix: str, size: int) -> int:
        now = timezone.now()
        record_events(
            performer=owner, events=[NewEvent(f"{prefix}{i}", "chat", now) for i in range(size)]
        )
        with CaptureQueriesContext(connection) as captured:
            send_mail(
                performer=owner,
                customers=Customer.objects.filter(member_name__startswith=prefix),
                subject="Hi",
                body="x",
            )
        return len(captured)

    assert queries_for("small", 3) == queries_for("large", 300)


def test_deleted_recipients_are_skipped_and_nothing_is_sent(owner):
    make_customer(owner, "carol")
    delete_customers(performer=owner, customers=named(owner, "carol"))
    result = send_mail(performer=owner, customers=named(owner, "carol"), subject="Hi", body="x")
    assert (result.mail, result.sent, result.skipped_blocked) == (None, 0, 0)
    assert not ContactEvent.objects.filter(type=ContactType.MAIL_SENT).exists()


def test_counters_after_a_mailing_equal_a_recount(owner):
    add_event(owner, "alice", ContactType.CHAT, ago=timedelta(days=3))
    add_event(owner, "bob", ContactType.MAIL_SENT, ago=timedelta(days=1))
    # A contact dated after the mail keeps its place as the last contact.
    add_event(owner, "bob", ContactType.GOODY_BAG, ago=timedelta(days=-1))
    make_customer(owner, "carol")
    send_mail(
        performer=owner, customers=named(owner, "alice", "bob", "carol"), subject="S", body="B"
    )
    assert list(find_drift([owner.pk])) == []
    bob = named(owner, "bob").get()
    assert (bob.mail_sent, bob.last_contact_type) == (2, ContactType.GOODY_BAG)
    assert named(owner, "carol").get().last_contact_type == ContactType.MAIL_SENT


def test_the_same_form_token_sends_once(owner, colleague):
    make_customer(owner, "alice")
    make_customer(colleague, "alice")
    token = uuid4()
    send_mail(performer=owner, customers=named(owner, "alice"), subject="A", body="x", token=token)
    with pytest.raises(AlreadyDone):
        send_mail(
            performer=owner, customers=named(owner, "alice"), subject="A", body="x", token=token
        )
    assert named(owner, "alice").get().mail_sent == 1
    assert Mail.objects.filter(performer=owner).count() == 1
    # Tokens are per performer; a new form (token) or none sends again.
    send_mail(
        performer=colleague, customers=named(colleague, "alice"), subject="A", body="x", token=token
    )
    send_mail(performer=owner, customers=named(owner, "alice"), subject="B", body="x")
    send_mail(performer=owner, customers=named(owner, "alice"), subject="C", body="x")
    assert named(owner, "alice").get().mail_sent == 3
