from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from contacts.models import Activity, ContactEvent, Feedback, Mail, MailDelivery, Note, Offer
from contacts.reconcile import find_drift
from contacts.types import ContactType
from lists.models import CustomerList, Membership
from mycustomers.devtools import demo_data
from mycustomers.devtools.demo_data import DEFAULT_PASSWORD, SEASONAL_SUBJECTS, demo_login_line
from mycustomers.models import COUNTER_FIELDS, Customer, CustomerStatus, Member, Performer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

SMALL = ("--customers", "120", "--events", "1500", "--performers", "2", "--anchor", "2025-06-15")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything seeded, by content (names and times), not by database ids."""
    return {
        "performers": list(Performer.objects.order_by("username").values_list("username")),
        "customers": list(
            Customer.objects.order_by("performer__username", "member_name").values_list(
                "performer__username", "member_name", "nickname", "status",
                "status_changed_at", "follow_up", "affiliate_referral", "new_cleared",
                "list_names", *COUNTER_FIELDS, "earnings", "first_contact", "last_contact",
                "last_contact_type", "has_missed_call", "missed_call_cleared_at",
            )
        ),
        "events": list(
            ContactEvent.objects.order_by(
                "performer__username", "customer__member_name", "occurred_at", "type", "reference"
            ).values_list(
                "performer__username", "customer__member_name", "type", "occurred_at", "amount",
                "quantity", "reference", "summary",
            )
        ),
        "offers": sorted(
            Offer.objects.values_list(
                "customer__member_name", "value", "sent_at", "expires_at", "redeemed_at"
            )
        ),
        "feedback": sorted(
            Feedback.objects.values_list("customer__member_name", "rating", "comment", "created_at")
        ),
        "notes": sorted(Note.objects.values_list("customer__member_name", "body", "created_at")),
        "memberships": sorted(
            Membership.objects.values_list("customer__member_name", "customer_list__name")
        ),
        "activity": sorted(
            Activity.objects.values_list("customer__member_name", "verb", "detail", "created_at")
        ),
    }  # fmt: skip


@pytest.fixture
def seeded():
    output = seed("--seed", "7", *SMALL)
    return output


def test_the_same_seed_gives_the_same_data(seeded):
    first = snapshot()

    seed("--seed", "7", "--replace", *SMALL)

    assert snapshot() == first


def test_another_seed_gives_other_data(seeded):
    first = snapshot()

    seed("--seed", "8", "--replace", *SMALL)

    second = snapshot()
    assert second["customers"] != first["customers"]
    assert second["events"] != first["events"]


def test_it_prints_the_demo_login_and_the_password_works(seeded):
    assert f"Demo login: demo / {DEFAULT_PASSWORD}  →  http://127.0.0.1:8000/" in seeded
    assert Performer.objects.get(username="demo").check_password(DEFAULT_PASSWORD)


def test_it_seeds_the_sizes_asked_for(seeded):
    demo = Performer.objects.get(username="demo")
    assert Customer.objects.filter(performer=demo).count() == 120
    assert ContactEvent.objects.filter(performer=demo).count() == 1500
    others = Performer.objects.exclude(username="demo")
    assert sorted(others.values_list("username", flat=True)) == ["demo.luna", "demo.rose"]
    for other in others:
        assert Customer.objects.filter(performer=other).count() == 12  # smaller: a tenth


def test_seeded_counters_match_a_recount_of_the_events(seeded):
    assert find_drift() == []


def test_every_contact_type_is_seeded_with_plausible_amounts(seeded):
    demo = ContactEvent.objects.filter(performer__username="demo")
    assert set(demo.values_list("type", flat=True)) == set(ContactType.values)
    calls = demo.filter(type=ContactType.CALL_RECEIVED)
    assert all(5 <= amount <= 150 for amount in calls.values_list("amount", flat=True))
    free = [ContactType.CALL_MISSED, ContactType.MAIL_SENT, ContactType.CALLBACK_ATTEMPT]
    assert set(demo.filter(type__in=free).values_list("amount", flat=True)) == {0}
    assert not demo.filter(amount__gt=0, reference=None).exists()  # purchases have an id


def test_it_seeds_new_flagged_blocked_deleted_and_affiliate_customers():
    seed("--customers", "600", "--events", "6000", "--performers", "0")
    customers = Customer.objects.filter(performer__username="demo")
    assert customers.new().exists()
    assert customers.filter(has_missed_call=True, status=CustomerStatus.ACTIVE).exists()
    assert customers.filter(status=CustomerStatus.BLOCKED).exists()
    assert customers.filter(status=CustomerStatus.DELETED).exists()
    assert customers.filter(affiliate_referral=True).exists()
    assert customers.exclude(follow_up="").exists()
    assert customers.exclude(nickname="").exists()
    assert customers.filter(status=CustomerStatus.BLOCKED, memberships__isnull=False).count() == 0


def test_offers_feedback_notes_lists_mail_and_activity_are_seeded(seeded):
    assert Offer.objects.filter(redeemed_at__isnull=False).exists()
    assert Offer.objects.filter(redeemed_at__isnull=True).exists()
    assert set(Feedback.objects.values_list("rating", flat=True)) <= {1, 2, 3, 4, 5}
    assert Feedback.objects.exclude(comment="").exists()
    assert Note.objects.exists()
    assert CustomerList.objects.filter(performer__username="demo").exists()
    assert MailDelivery.objects.filter(event__type=ContactType.MAIL_SENT).exists()
    assert Activity.objects.exists()


def test_list_names_are_the_customers_lists_sorted_ignoring_case(seeded):
    members = Customer.objects.annotate(lists=Count("memberships")).filter(lists__gt=0)
    assert members.exists()
    for customer in members:
        names = customer.memberships.values_list("customer_list__name", flat=True)
        assert customer.list_names == ", ".join(sorted(names, key=lambda n: (n.lower(), n)))
    assert not Customer.objects.filter(memberships__isnull=True).exclude(list_names="").exists()


def test_member_names_are_unique_realistic_and_some_start_with_a_digit(seeded):
    names = list(Member.objects.values_list("name", flat=True))
    assert any(name[0].isdigit() for name in names)
    assert any(name[0].isalpha() for name in names)
    assert all(1 <= len(name) <= 64 and name == name.strip() for name in names)


def test_other_performers_share_some_members_with_the_main_one(seeded):
    demo = set(Customer.objects.filter(performer__username="demo").values_list("member_id"))
    luna = set(Customer.objects.filter(performer__username="demo.luna").values_list("member_id"))
    assert demo & luna
    assert luna - demo


def test_it_refuses_to_seed_a_performer_who_has_customers(seeded):
    with pytest.raises(CommandError, match=re.escape("demo, demo.luna, demo.rose already have")):
        seed(*SMALL)


def test_replace_wipes_the_performers_data_first(seeded):
    seed("--replace", "--customers", "30", "--events", "90", "--performers", "0")
    assert Customer.objects.filter(performer__username="demo").count() == 30
    assert ContactEvent.objects.filter(performer__username="demo").count() == 90
    assert find_drift() == []


def test_another_performer_can_be_seeded_beside_the_demo(seeded):
    seed("--performer", "big", "--customers", "50", "--events", "200", "--performers", "0")
    assert Customer.objects.filter(performer__username="big").count() == 50
    assert Customer.objects.filter(performer__username="demo").count() == 120


def test_if_empty_does_nothing_when_there_are_customers(owner):
    make_customer(owner, "alice")

    output = seed("--if-empty", *SMALL)

    assert "already has customers: not seeding" in output
    assert not Performer.objects.filter(username="demo").exists()


def test_if_empty_still_prints_the_login_of_an_existing_demo(seeded):
    output = seed("--if-empty")
    assert f"Demo login: demo / {DEFAULT_PASSWORD}" in output
    assert Customer.objects.filter(performer__username="demo").count() == 120


def test_if_empty_seeds_an_empty_database():
    output = seed("--if-empty", *SMALL)
    assert "Seeded 3 performer(s)" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--customers", "10", "--events", "5"), "--events must be at least --customers"),
        (("--customers", "0"), "--customers must be at least 1"),
        (("--anchor", "June"), "--anchor 'June': expected YYYY-MM-DD"),
    ],
)
def test_it_rejects_impossible_sizes(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)


def test_the_login_line_names_where_make_run_serves(monkeypatch):
    monkeypatch.setenv("MYCUSTOMERS_URL", "http://0.0.0.0:8123/")
    assert demo_login_line("demo", "pw") == "Demo login: demo / pw  →  http://0.0.0.0:8123/"


def test_with_development_settings_it_makes_a_demo_admin_and_prints_its_login(settings, client):
    settings.DEMO_ADMIN = True

    output = seed(*SMALL)

    assert f"Demo admin: admin / {DEFAULT_PASSWORD}  →  http://127.0.0.1:8000/admin/" in output
    admin = Performer.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password(DEFAULT_PASSWORD)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    # A second `make run` finds it and prints it again.
    assert "Demo admin: admin /" in seed("--if-empty")
    assert Performer.objects.filter(is_superuser=True).count() == 1


def test_other_settings_make_no_admin_account():
    output = seed(*SMALL)

    assert "Demo admin" not in output
    assert not Performer.objects.filter(is_staff=True).exists()


def test_each_mail_is_one_event_per_recipient_and_seasonal_subjects_are_in_season():
    # A larger seed, so that customers get several mail events each (issue 19, defect 6).
    seed("--seed", "3", "--customers", "300", "--events", "12000", "--performers", "1")
    mails = ContactEvent.objects.filter(type=ContactType.MAIL_SENT)
    repeats = (
        mails.values("customer", "occurred_at", "summary").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not repeats.exists()
    mailed = mails.exclude(summary="")
    assert mailed.count() == MailDelivery.objects.count() > 100
    assert set(MailDelivery.objects.values_list("event__summary", flat=True)) <= set(
        Mail.objects.values_list("subject", flat=True)
    )
    assert SEASONAL_SUBJECTS["Happy holidays!"] == {12}
    in_season = []
    for subject, sent_at in Mail.objects.values_list("subject", "sent_at"):
        for start, months in SEASONAL_SUBJECTS.items():
            if subject.startswith(start):
                assert sent_at.month in months, (subject, sent_at)
                in_season.append(subject)
    assert in_season  # this seed has some: the loop above checked them


SEEDED_TABLES = [
    model._meta.db_table
    for model in (ContactEvent, Customer, MailDelivery, Membership, Offer, Feedback, Note, Activity)
]


def indexes_and_constraints() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = ANY(%(tables)s::regclass[])
            UNION ALL
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = ANY(%(tables)s::regclass[])
            ORDER BY 1, 2
            """,
            {"tables": SEEDED_TABLES},
        )
        return cursor.fetchall()


def test_a_bulk_load_gives_the_same_data_and_puts_back_every_index_and_foreign_key(monkeypatch):
    schema = indexes_and_constraints()
    during = []
    load_all = demo_data._load_all

    def spy(*args):
        during.append(len(indexes_and_constraints()))
        load_all(*args)

    monkeypatch.setattr(demo_data, "_load_all", spy)
    monkeypatch.setattr(demo_data, "_loads_in_bulk", lambda events: True)
    seed("--seed", "7", *SMALL)
    bulk = snapshot()

    assert during[0] < len(schema)  # it did load without them
    assert indexes_and_constraints() == schema
    assert find_drift() == []
    monkeypatch.setattr(demo_data, "_loads_in_bulk", lambda events: False)
    seed("--seed", "7", "--replace", *SMALL)
    assert during[1] == len(schema)
    assert snapshot() == bulk


def test_each_mail_delivery_points_at_its_recipients_mail_event(seeded):
    deliveries = MailDelivery.objects.select_related("event", "mail")
    assert deliveries.exists()
    for delivery in deliveries:
        assert delivery.event.customer_id == delivery.customer_id
        assert delivery.event.performer_id == delivery.performer_id == delivery.mail.performer_id
        assert (delivery.event.occurred_at, delivery.event.summary) == (
            delivery.mail.sent_at,
            delivery.mail.subject,
        )


def test_only_a_big_load_into_smaller_tables_goes_in_bulk(seeded, monkeypatch):
    assert not demo_data._loads_in_bulk(demo_data.BULK_EVENTS - 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contactevent")  # a small table: every row counted
    present = ContactEvent.objects.count()
    monkeypatch.setattr(demo_data, "BULK_EVENTS", 10)
    assert demo_data._loads_in_bulk(present)
    assert not demo_data._loads_in_bulk(present - 1)  # rebuilding would cost more than it saves
