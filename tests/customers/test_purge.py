from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from contacts.mail import send_mail
from contacts.models import Activity, ActivityCustomer, ActivityVerb, ContactEvent, Feedback, Note
from contacts.notes import add_note, edit_note
from contacts.offers import send_offer
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers.daily_refresh import refresh_every_performer
from mycustomers.models import Customer, FollowUpStatus
from mycustomers.services import (
    QUOTING_VERBS,
    delete_customers,
    purge_deleted,
    set_follow_up,
    set_nickname,
)
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def deleted_customer(owner, name, days_ago):
    customer = make_customer(owner, name)
    vip, _ = CustomerList.objects.get_or_create(performer=owner, name="VIP")
    qs = Customer.objects.filter(pk=customer.pk)
    set_customer_lists(performer=owner, customers=qs, lists=[vip])
    qs.update(nickname="Nick")
    Note.objects.create(performer=owner, customer=customer, body="likes tarot")
    delete_customers(performer=owner, customers=qs)
    qs.update(status_changed_at=timezone.now() - timedelta(days=days_ago))
    return customer


def test_purge_forgets_private_data_of_old_deletions_but_keeps_events(owner):
    old = deleted_customer(owner, "old", days_ago=31)
    recent = deleted_customer(owner, "recent", days_ago=5)
    events_before = ContactEvent.objects.count()

    call_command("purge_deleted")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.nickname, old.list_names) == ("", "")
    assert not Note.objects.filter(customer=old).exists()
    assert not Membership.objects.filter(customer=old).exists()
    assert old.live_calls == 1
    assert (recent.nickname, recent.list_names) == ("Nick", "VIP")
    assert Note.objects.filter(customer=recent).exists()
    assert ContactEvent.objects.count() == events_before


@pytest.mark.parametrize("days", ["-1", "0"])
def test_purge_refuses_days_below_one(owner, days):
    recent = deleted_customer(owner, "recent", days_ago=0)

    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("purge_deleted", "--days", days, "--below-retention")

    recent.refresh_from_db()
    assert recent.nickname == "Nick"


def test_purge_below_the_retention_must_be_explicit(owner):
    week_old = deleted_customer(owner, "week-old", days_ago=8)

    with pytest.raises(CommandError, match="below the retention of 30 days"):
        call_command("purge_deleted", "--days", "7", stdout=StringIO())
    week_old.refresh_from_db()
    assert week_old.nickname == "Nick"

    call_command("purge_deleted", "--days", "7", "--below-retention", stdout=StringIO())
    week_old.refresh_from_db()
    assert week_old.nickname == ""


# The Deleted page's promise (docs/user-guide.md, "Deleted customers"), one test each.

NOTE = "Likes tarot on Sunday evenings"
NICKNAME = "Moonbeam"
SECRETS = (NOTE, NICKNAME, "Sunday evenings")


@pytest.fixture
def known(owner):
    """A customer the performer knows well: lists, notes, nickname, follow-up, each quoted
    by the activity history, and the admin's change history; mail, an offer and feedback."""
    customer = make_customer(owner, "Stella", amount=25)
    qs = Customer.objects.filter(pk=customer.pk)
    vip = CustomerList.objects.create(performer=owner, name="Tarot circle")
    set_customer_lists(performer=owner, customers=qs, lists=[vip])
    set_nickname(performer=owner, customer=customer, nickname=NICKNAME)
    set_follow_up(performer=owner, customer=customer, follow_up=FollowUpStatus.SPOKE)
    note = add_note(performer=owner, customer=customer, body=NOTE)
    edit_note(performer=owner, note=note, body=f"{NOTE}, and the moon")
    add_note(performer=owner, customer=customer, body="Second thought about Sunday evenings")
    send_mail(performer=owner, customers=qs, subject="Hello", body="A reading for you")
    send_offer(performer=owner, customer=customer, value=Decimal("5"), message="Half price")
    Feedback.objects.create(performer=owner, customer=customer, rating=5, comment="Wonderful")
    customer.refresh_from_db()
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[customer], action_flag=CHANGE, change_message=NOTE
    )
    return customer


def delete(owner, customer, days_ago):
    qs = Customer.objects.filter(pk=customer.pk)
    delete_customers(performer=owner, customers=qs)
    qs.update(status_changed_at=timezone.now() - timedelta(days=days_ago))


def private_data(customer) -> dict:
    customer.refresh_from_db()
    return {
        "nickname": customer.nickname,
        "follow_up": customer.follow_up,
        "list_names": customer.list_names,
        "memberships": customer.memberships.count(),
        "notes": sorted(customer.notes.values_list("body", flat=True)),
        "quotes": sorted(
            Activity.objects.of_customer(customer)
            .filter(verb__in=QUOTING_VERBS)
            .values_list("detail", flat=True)
        ),
    }


def shared_history(customer) -> dict:
    customer.refresh_from_db()
    return {
        "counters": (customer.live_calls, customer.mail_sent, customer.earnings),
        "contacts": (customer.first_contact, customer.last_contact),
        "events": customer.events.count(),
        "mail": list(customer.deliveries.values_list("mail__subject", "mail__body")),
        "offers": list(customer.offers.values_list("value", "message")),
        "feedback": list(customer.feedback.values_list("rating", "comment")),
        "activity": list(Activity.objects.of_customer(customer).values_list("verb", flat=True)),
    }


def restore(owner_client, customer):
    owner_client.post(reverse("customers:restore"), {"ids": [customer.pk]})
    customer.refresh_from_db()
    assert customer.status == "active"


@pytest.fixture
def nightly(settings):
    """The worker's nightly upkeep (purge included), which queues its next run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return refresh_every_performer.call


def test_within_the_retention_a_restore_brings_back_everything(owner, owner_client, known, nightly):
    before = private_data(known), shared_history(known)["counters"]
    delete(owner, known, days_ago=29)

    nightly()
    restore(owner_client, known)

    assert (private_data(known), shared_history(known)["counters"]) == before


def test_after_the_retention_the_private_data_is_erased_everywhere(owner, owner_client, known):
    delete(owner, known, days_ago=31)

    assert purge_deleted() == 1

    assert private_data(known) == {
        "nickname": "",
        "follow_up": "",
        "list_names": "",
        "memberships": 0,
        "notes": [],
        "quotes": [""] * 6,  # lists, nickname, follow-up, note added, edited, added
    }
    assert known.purged_at is not None
    for secret in SECRETS:
        assert tables_holding(secret) == []
    page = owner_client.get(known.get_absolute_url()).content.decode()
    assert "Added a note" in page  # what was done stays, not what was written
    assert NICKNAME not in page and "Sunday" not in page


def test_after_the_retention_what_passed_between_them_stays(owner, owner_client, known):
    delete(owner, known, days_ago=31)
    before = shared_history(known)

    purge_deleted()
    assert shared_history(known) == before
    restore(owner_client, known)
    assert shared_history(known)["counters"] == before["counters"]
    page = owner_client.get(known.get_absolute_url()).content.decode()
    assert "Wonderful" in page and "$25.00" in page


def test_a_purged_customer_who_contacts_again_comes_back(owner, known):
    delete(owner, known, days_ago=31)
    purge_deleted()

    add_event(owner, "Stella")

    known.refresh_from_db()
    assert (known.status, known.live_calls, known.nickname) == ("active", 2, "")


def test_the_nightly_upkeep_purges_without_an_operator(owner, known, nightly):
    delete(owner, known, days_ago=31)

    nightly()

    assert private_data(known)["notes"] == []


def test_a_customer_deleted_again_after_a_restore_is_purged_again(owner, owner_client, known):
    delete(owner, known, days_ago=70)
    five_weeks_ago = timezone.now() - timedelta(days=35)
    assert purge_deleted(now=five_weeks_ago) == 1
    assert purge_deleted(now=five_weeks_ago) == 0  # nothing left to erase
    restore(owner_client, known)
    set_nickname(performer=owner, customer=known, nickname="Starlight")

    delete(owner, known, days_ago=31)

    assert purge_deleted() == 1
    assert private_data(known)["nickname"] == ""


def test_the_deleted_page_says_exactly_what_a_restore_brings_back(owner, owner_client, known):
    recent = make_customer(owner, "Recent")
    delete(owner, recent, days_ago=3)
    delete(owner, known, days_ago=31)
    purge_deleted()

    page = owner_client.get(reverse("customers:deleted")).content.decode()

    assert "keep their history, notes and feedback" not in page
    assert (
        "For 30 days after you delete a customer, restoring them brings back everything: "
        "their lists, notes, nickname and follow-up status. After that, those are erased for "
        "good, from their activity history too"
    ) in page
    assert (
        "Their contact history, earnings, the mail and offers you sent and their feedback "
        "are always kept"
    ) in page
    recent.refresh_from_db()
    restorable = timezone.localtime(recent.status_changed_at) + timedelta(days=30)
    assert f'<td class="date">{restorable:%b} {restorable.day}, {restorable.year}</td>' in page
    purged = timezone.localtime(private_purge_time(known))
    assert (
        "Lists, notes, nickname and follow-up erased "
        f"{purged:%b} {purged.day}, {purged.year}" in page
    )


def test_a_purged_customers_detail_page_says_what_was_erased_and_when(owner, owner_client, known):
    delete(owner, known, days_ago=31)
    purge_deleted()
    purged = timezone.localtime(private_purge_time(known))

    page = owner_client.get(known.get_absolute_url()).content.decode()

    assert (
        f"Lists, notes, nickname and follow-up erased {purged:%b} {purged.day}, {purged.year}. "
        "Contact history, earnings, mail, offers and feedback are kept."
    ) in page


def test_a_deleted_customers_detail_page_says_until_when_a_restore_is_full(owner, owner_client):
    customer = make_customer(owner, "Recent")
    delete(owner, customer, days_ago=3)
    customer.refresh_from_db()
    until = timezone.localtime(customer.status_changed_at) + timedelta(days=30)

    page = owner_client.get(customer.get_absolute_url()).content.decode()

    assert f"Restoring brings back everything until {until:%b} {until.day}, {until.year}" in page
    assert "follow-up erased" not in page and "are kept" not in page


def test_the_delete_confirmation_makes_the_same_promise(owner_client, known, settings):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "DELETED_RETENTION_DAYS": 45}

    page = owner_client.get(reverse("customers:delete"), {"ids": [known.pk]}).content.decode()

    assert "notes and feedback are kept" not in page
    assert "page with everything for 45 days; after that their lists, notes, nickname and " in page
    assert "follow-up status are erased. Their contact history, earnings, mail, offers and " in page


def private_purge_time(customer):
    customer.refresh_from_db()
    return customer.purged_at


def tables_holding(text: str) -> list[str]:
    """Every first-party table, and the admin's log, with a text column holding ``text``."""
    found = []
    for model in [*apps.get_app_config("mycustomers").get_models(), LogEntry,
                  *apps.get_app_config("contacts").get_models(),
                  *apps.get_app_config("lists").get_models()]:  # fmt: skip
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
        ]
        query = Q()
        for name in fields:
            query |= Q(**{f"{name}__contains": text})
        if fields and model.objects.filter(query).exists():
            found.append(model._meta.label)
    return found


def test_a_shared_entry_loses_its_quote_for_the_purged_customer_alone(owner):
    """A mass action's one entry quotes list names for all its customers: the purged one
    keeps an entry of their own without the quote, the others still read it."""
    old, kept = make_customer(owner, "old"), make_customer(owner, "kept")
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    both = Customer.objects.filter(pk__in=[old.pk, kept.pk])
    set_customer_lists(performer=owner, customers=both, lists=[vip])
    shared = Activity.objects.get(verb=ActivityVerb.LISTS_CHANGED)
    assert shared.customer is None and ActivityCustomer.objects.count() == 2
    # Assigned an hour before the delete (the test's one transaction would give both now()).
    Activity.objects.filter(pk=shared.pk).update(created_at=F("created_at") - timedelta(hours=1))
    delete(owner, old, days_ago=31)
    before = list(Activity.objects.of_customer(old).values_list("verb", "created_at"))

    assert purge_deleted() == 1

    def quotes(customer):
        history = Activity.objects.of_customer(customer)
        return list(
            history.filter(verb=ActivityVerb.LISTS_CHANGED).values_list("detail", flat=True)
        )

    assert quotes(old) == [""]
    assert quotes(kept) == ["Lists set to: VIP"]
    # The same entries at the same times, in the same order.
    assert list(Activity.objects.of_customer(old).values_list("verb", "created_at")) == before
    assert list(ActivityCustomer.objects.values_list("customer", flat=True)) == [kept.pk]
