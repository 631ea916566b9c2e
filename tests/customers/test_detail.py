"""The customer detail page (SPEC D1–D9, D11): every section for a seeded customer, the
contact table's sorting and paging, the chart's monthly figures, tenancy and query counts."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, ActivityVerb, ContactEvent, Feedback, Note, Offer
from contacts.services import NewEvent, record_events
from contacts.types import EFFECTS, ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.avatars import initials
from mycustomers.detail_tables import when
from mycustomers.insights import customer_insights, monthly_figures
from mycustomers.models import Customer, CustomerStatus, FollowUpStatus, Member
from mycustomers.services import block_customers
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, whitespace collapsed, for content assertions."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([:,.)])", r"\1", words.replace("( ", "("))


def seed_events(performer, name: str, count: int, *, seed: int = 1) -> Customer:
    """``count`` events of every kind over the last two years, deterministic."""
    rng = random.Random(seed)
    now = timezone.now()
    events = [
        NewEvent(
            member_name=name,
            type=rng.choice(ContactType.values),
            occurred_at=now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440)),
            amount=Decimal(rng.choice(["0", "0", "1.50", "20.00", "7.25"])),
            quantity=rng.randint(1, 4),
            reference=f"{name}-{i}" if i % 3 == 0 else None,
            summary=rng.choice(["", "Reading about work", "Follow-up on a move"]),
        )
        for i in range(count)
    ]
    for start in range(0, count, 1000):
        record_events(performer=performer, events=events[start : start + 1000])
    return Customer.objects.get(performer=performer, member_name=name)


@pytest.fixture
def alice(owner):
    """A customer with a little of everything: events, notes, offers, feedback, a list."""
    customer = add_event(
        owner,
        "alice",
        ContactType.CALL_RECEIVED,
        ago=timedelta(days=45),
        amount="25.00",
        reference="P-100",
        summary="First reading",
    )
    add_event(owner, "alice", ContactType.MAIL_RECEIVED, ago=timedelta(days=44))
    add_event(owner, "alice", ContactType.CALLBACK_RECEIVED, ago=timedelta(days=40), amount="12.50")
    add_event(owner, "alice", ContactType.CHAT, ago=timedelta(days=35), amount="4.00", quantity=6)
    Note.objects.create(performer=owner, customer=customer, body="Prefers evening calls")
    Offer.objects.create(performer=owner, customer=customer, value=Decimal("10.00"))
    Offer.objects.create(performer=owner, customer=customer, value=Decimal("5.50"))
    Feedback.objects.create(performer=owner, customer=customer, rating=5, comment="Spot on")
    Feedback.objects.create(performer=owner, customer=customer, rating=4, comment="Kind")
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=customer.pk), lists=[vip]
    )
    Member.objects.filter(name="alice").update(photo_url="")
    customer.refresh_from_db()
    return customer


def send_mail_link(customer) -> str:
    """Send Mail for this one customer, coming back to the detail page (HTML-escaped)."""
    return (
        f"{reverse('customers:send_mail')}?ids={customer.pk}"
        f"&amp;next=%2Fcustomers%2F{customer.pk}%2F"
    )


def detail(client, customer, **query):
    return client.get(reverse("customers:detail", args=[customer.pk]), query)


# --- Identification and insights (D1, D2, D3) -----------------------------------------


def test_the_member_page_link_encodes_the_member_name(owner_client, owner):
    customer = make_customer(owner, "a b/../c?d#e&f")
    body = detail(owner_client, customer).content.decode()
    assert 'href="https://marketplace.example/members/a%20b%2F..%2Fc%3Fd%23e%26f"' in body


def test_it_shows_who_the_customer_is_with_an_initials_avatar(owner_client, alice):
    Customer.objects.filter(pk=alice.pk).update(nickname="Ally")
    page = detail(owner_client, alice)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="https://marketplace.example/members/alice"' in body
    assert 'class="avatar avatar-tone-' in body and ">AL</span>" in body
    assert "“Ally”" in body
    assert "Lists: VIP" in text(page)
    assert send_mail_link(alice) in body
    compose = owner_client.get(send_mail_link(alice).replace("&amp;", "&"), follow=True)
    assert compose.status_code == 200 and "alice" in compose.content.decode()
    assert reverse("customers:send_offer", args=[alice.pk]) in body
    assert reverse("customers:history", args=[alice.pk]) in body


def test_it_shows_a_photo_only_when_the_content_security_policy_allows_it(
    owner_client, alice, settings
):
    Member.objects.filter(name="alice").update(photo_url="https://photos.example/alice.jpg")
    assert "photos.example/alice.jpg" not in detail(owner_client, alice).content.decode()

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"img-src": ["'self'", "https://photos.example"]}
    }
    body = detail(owner_client, alice).content.decode()
    assert '<img class="avatar" src="https://photos.example/alice.jpg"' in body


def test_the_insights_match_a_recount_of_the_events(owner_client, owner):
    customer = seed_events(owner, "bob", 300)
    for rating in (5, 3, 4):
        Feedback.objects.create(performer=owner, customer=customer, rating=rating)
    Offer.objects.create(performer=owner, customer=customer, value=Decimal("12.25"))
    events = list(ContactEvent.objects.filter(customer=customer))
    channels = Counter(EFFECTS[e.type].channel.label for e in events)

    insights = customer_insights(customer)

    assert insights.events == 300
    assert insights.paid_purchases == sum(1 for e in events if e.amount > 0)
    assert insights.most_common_channel == channels.most_common(1)[0][0]
    assert insights.channel_counts == {
        label: channels.get(label, 0) for label in ("Call", "Mail", "Chat", "Other")
    }
    assert insights.lifetime_earnings == sum(e.amount for e in events)
    assert insights.customer_since == min(e.occurred_at for e in events)
    assert insights.last_contact == max(e.occurred_at for e in events)
    assert insights.average_rating == Decimal("4.0")
    assert (insights.offers.count, insights.offers.value) == (1, Decimal("12.25"))

    page = text(detail(owner_client, customer))
    assert f"Paid purchases {insights.paid_purchases}" in page
    assert f"Most common channel {insights.most_common_channel}" in page
    assert f"Lifetime earnings ${insights.lifetime_earnings:,.2f}" in page
    assert "Average rating 4.0 / 5 from 3 ratings" in page
    assert "Offers sent 1 worth $12.25" in page


def test_it_shows_the_seeded_customers_insights(owner_client, alice):
    page = text(detail(owner_client, alice))
    assert f"Customer since {alice.first_contact:%b} {alice.first_contact.day}," in page
    assert "Last contact" in page and "(35 days ago, Chat)" in page
    assert "Paid purchases 3" in page
    assert "Most common channel Call (call 2, mail 1, chat 1)" in page
    assert "Lifetime earnings $41.50" in page
    assert "Offers sent 2 worth $15.50" in page
    assert "Average rating 4.5 / 5 from 2 ratings" in page


def test_most_common_channel_ties_go_to_calls_then_mail(owner):
    customer = add_event(owner, "tie", ContactType.MAIL_SENT)
    add_event(owner, "tie", ContactType.CHAT)
    assert customer_insights(customer).most_common_channel == "Mail"
    add_event(owner, "tie", ContactType.CALL_MISSED)
    assert customer_insights(customer).most_common_channel == "Call"


def test_it_alerts_when_the_customer_is_overdue_whatever_the_fixed_days(
    owner_client, alice, settings
):
    page = detail(owner_client, alice)  # paid every 5 days, quiet for 35
    assert "Time to get in touch" in text(page)
    assert "7.0× longer than usual" in text(page)
    assert f'<a href="{send_mail_link(alice)}">Send alice a mail' in page.content.decode()

    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "RECONTACT_ALERT_DAYS": 60}
    assert "Time to get in touch" in text(detail(owner_client, alice))


def test_there_is_no_alert_for_a_recent_contact(owner_client, owner):
    customer = add_event(owner, "fresh", ago=timedelta(days=2))
    assert "Time to get in touch" not in text(detail(owner_client, customer))


def test_a_deleted_customer_offers_restore_instead_of_mail(owner_client, alice):
    Customer.objects.filter(pk=alice.pk).update(status=CustomerStatus.DELETED)
    body = detail(owner_client, alice).content.decode()
    assert '<span class="badge badge-deleted">Deleted</span>' in body
    restore = f"{reverse('customers:restore')}?ids={alice.pk}&amp;next=%2Fcustomers%2F{alice.pk}%2F"
    assert f'href="{restore}">Restore</a>' in body
    assert send_mail_link(alice) not in body
    assert "Time to get in touch" not in body


def test_a_customer_without_events_or_feedback_shows_placeholders(owner_client, owner):
    member = Member.objects.create(name="quiet")
    customer = Customer.objects.create(performer=owner, member=member, member_name="quiet")
    page = text(detail(owner_client, customer))
    assert "Last contact Never" in page
    assert "Paid purchases 0" in page
    assert "Most common channel —" in page
    assert "Average rating No ratings yet" in page
    assert "No contacts yet." in page
    assert "No feedback from this customer yet." in page


# --- Lists control, follow-up, notes, feedback, activity (D4, D6–D9) -------------------


def test_the_lists_control_ticks_the_customers_lists(owner_client, owner, alice):
    regulars = CustomerList.objects.create(performer=owner, name="Regulars").pk
    vip = CustomerList.objects.get(name="VIP").pk
    body = detail(owner_client, alice).content.decode()
    assert f'name="lists" value="{vip}" checked' in body
    assert f'name="lists" value="{regulars}">' in body
    assert 'name="blocked" value="on">' in body


def test_the_follow_up_select_shows_the_current_status(owner_client, alice):
    Customer.objects.filter(pk=alice.pk).update(follow_up=FollowUpStatus.LEFT_MESSAGE)
    body = detail(owner_client, alice).content.decode()
    assert '<option value="left_message" selected>Left a message</option>' in body
    assert "Follow-up: Left a message" in text(detail(owner_client, alice))


def test_it_lists_notes_newest_first_with_their_time(owner_client, owner, alice):
    Note.objects.create(
        performer=owner,
        customer=alice,
        body="Older note",
        created_at=timezone.now() - timedelta(days=3),
    )
    page = text(detail(owner_client, alice))
    assert page.index("Prefers evening calls") < page.index("Older note")
    assert "Notes (2)" in page


def test_it_pages_the_notes(owner_client, owner, alice):
    for i in range(12):
        Note.objects.create(performer=owner, customer=alice, body=f"Note number {i:02d}")
    first = text(detail(owner_client, alice))
    assert "1–10 of 13" in first and "Note number 11" in first and "Note number 01" not in first
    second = text(detail(owner_client, alice, **{"notes-page": 2}))
    assert "Note number 01" in second and "Note number 11" not in second


@pytest.mark.parametrize("number", ["٢", "２", "²"])
def test_a_page_number_in_other_digits_is_page_one(owner_client, owner, alice, number):
    # "٢".isdigit() and int("٢") is 2: numbers in addresses are ASCII digits only.
    for i in range(12):
        Note.objects.create(performer=owner, customer=alice, body=f"Note number {i:02d}")
    page = text(detail(owner_client, alice, **{"notes-page": number}))
    assert "Note number 11" in page and "Note number 01" not in page


def test_the_feedback_table_shows_every_rating_and_comment(owner_client, alice):
    page = text(detail(owner_client, alice))
    assert "5 / 5 Spot on" in page
    assert "4 / 5 Kind" in page


def test_the_activity_history_is_newest_first(owner_client, owner, alice):
    Activity.objects.create(
        performer=owner,
        customer=alice,
        verb=ActivityVerb.MAIL_SENT,
        detail="Hello again",
        created_at=timezone.now() + timedelta(minutes=1),
    )
    page = text(detail(owner_client, alice))
    assert "Activity history" in page
    assert page.index("Sent mail: Hello again") < page.index("Changed lists: Lists set to: VIP")


# --- The contact summary table (D5) ----------------------------------------------------


def rows(response) -> list[str]:
    """The contact table's body rows as text."""
    html = response.content.decode()
    table = html.split('id="contacts"', 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in table.split("<tr data-id=")[1:]]


def test_the_contact_table_lists_events_newest_first(owner_client, alice):
    lines = rows(detail(owner_client, alice))
    assert len(lines) == 4
    for line, label in zip(
        lines, ["Chat", "Callback Received", "Mail Received", "Call Received"], strict=True
    ):
        assert f" {label} " in line
    assert "Call Received 1 $25.00 – purchase details P-100 First reading" in lines[3]
    assert "Chat 6 $4.00" in lines[0]


def test_paid_events_link_to_their_purchase_details(owner_client, alice):
    body = detail(owner_client, alice).content.decode()
    paid = ContactEvent.objects.filter(customer=alice, amount__gt=0)
    unpaid = ContactEvent.objects.get(customer=alice, amount=0)
    for event in paid:
        assert f'href="{event.get_absolute_url()}"' in body
    assert unpaid.get_absolute_url() not in body


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("occurred_at", lambda e: (e.occurred_at, e.pk)),
        ("-occurred_at", lambda e: (e.occurred_at, e.pk)),
        ("amount", lambda e: (e.amount, e.pk)),
        ("-amount", lambda e: (e.amount, e.pk)),
        ("quantity", lambda e: (e.quantity, e.pk)),
        ("-quantity", lambda e: (e.quantity, e.pk)),
        ("type", lambda e: (e.get_type_display(), e.pk)),
        ("-type", lambda e: (e.get_type_display(), e.pk)),
        ("summary", lambda e: (e.summary, e.pk)),
        ("-summary", lambda e: (e.summary, e.pk)),
    ],
)
def test_the_contact_table_sorts_by_every_column(owner_client, owner, sort, key):
    customer = seed_events(owner, "carol", 45)
    expected = sorted(ContactEvent.objects.filter(customer=customer), key=key)
    if sort.startswith("-"):
        expected.reverse()
    shown = []
    for page in (1, 2, 3):
        table = detail(owner_client, customer, **{"events-sort": sort, "events-page": page})
        shown += [int(m) for m in re.findall(r'data-id="(\d+)"', table.content.decode())]
    assert shown == [e.pk for e in expected]


def test_the_contact_table_sorts_by_reference_with_blanks_last(owner_client, owner):
    customer = seed_events(owner, "dave", 12)
    for sort in ("reference", "-reference"):
        response = detail(owner_client, customer, **{"events-sort": sort})
        ids = [int(m) for m in re.findall(r'data-id="(\d+)"', response.content.decode())]
        references = [ContactEvent.objects.get(pk=i).reference for i in ids]
        filled = [r for r in references if r is not None]
        assert references == filled + [None] * (len(references) - len(filled))
        assert filled == sorted(filled, reverse=sort.startswith("-"))


def test_the_contact_table_pages_by_twenty(owner_client, owner):
    customer = seed_events(owner, "erin", 45)
    first = detail(owner_client, customer)
    assert len(rows(first)) == 20
    assert "1–20 of 45" in text(first)
    last = detail(owner_client, customer, **{"events-page": 3})
    assert len(rows(last)) == 5
    assert "41–45 of 45" in text(last)


@pytest.mark.parametrize(
    "query",
    [
        {"events-page": "0"},
        {"events-page": "-4"},
        {"events-page": "abc"},
        {"events-page": "9" * 5000},
        {"events-page": "99999"},
        {"events-sort": "password"},
        {"events-sort": "amount,summary,-type,id"},
        {"events-per_page": "100000"},
        {"notes-page": "x", "activity-page": "-1", "feedback-sort": "nope"},
    ],
)
def test_bad_table_parameters_fall_back_to_defaults(owner_client, owner, query):
    customer = seed_events(owner, "fay", 30)
    response = detail(owner_client, customer, **query)
    assert response.status_code == 200
    assert len(rows(response)) in {10, 20}  # page 1 (20) or the last page (10)


def test_the_contact_table_keeps_other_tables_state_in_its_links(owner_client, owner):
    customer = seed_events(owner, "gus", 30)
    body = detail(owner_client, customer, **{"feedback-sort": "rating"}).content.decode()
    assert "feedback-sort=rating&amp;events-page=2" in body


# --- The chart (D11) -------------------------------------------------------------------


def test_the_chart_has_sixteen_months_with_zeros_for_quiet_ones(owner):
    now = timezone.now()
    customer = add_event(owner, "hal", ago=timedelta(days=0), amount="10.00")
    add_event(owner, "hal", ago=timedelta(days=0), amount="5.00")
    # About three months back, and one long before the window.
    add_event(owner, "hal", ago=timedelta(days=95), amount="7.00")
    add_event(owner, "hal", ago=timedelta(days=600), amount="99.00")

    months = monthly_figures(customer, now=now).months

    assert len(months) == 16
    assert months[-1].start == timezone.localdate(now).replace(day=1)
    assert (months[-1].earnings, months[-1].contacts) == (Decimal("15.00"), 2)
    three_back = timezone.localdate(now - timedelta(days=95)).replace(day=1)
    by_start = {m.start: m for m in months}
    assert (by_start[three_back].earnings, by_start[three_back].contacts) == (
        Decimal("7.00"),
        1,
    )
    quiet = [m for m in months if m.start not in {months[-1].start, three_back}]
    assert len(quiet) == 14
    assert all(m.earnings == 0 and m.contacts == 0 for m in quiet)
    assert sum(m.earnings for m in months) == Decimal("22.00")


def test_the_insights_link_to_the_monthly_chart(owner_client, alice):
    body = detail(owner_client, alice).content.decode()
    history = reverse("customers:history", args=[alice.pk])
    assert f'<a href="{history}#chart">Monthly earnings and contacts, last 16 months</a>' in body
    assert "<svg" not in body  # the chart itself is on the history page


# --- Tenancy and queries ---------------------------------------------------------------


def test_it_404s_for_another_performers_customer(owner_client, colleague):
    theirs = add_event(colleague, "alice", amount="3.00")
    event = theirs.events.get()
    assert detail(owner_client, theirs).status_code == 404
    assert owner_client.get(reverse("customers:history", args=[theirs.pk])).status_code == 404
    url = reverse("customers:purchase", args=[theirs.pk, event.pk])
    assert owner_client.get(url).status_code == 404


def test_it_needs_a_login(client, alice):
    response = detail(client, alice)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("events", [5, 200])
@pytest.mark.parametrize("page", ["detail", "history"])
def test_pages_run_a_constant_number_of_queries(
    owner_client, owner, events, page, django_assert_max_num_queries
):
    customer = seed_events(owner, "ivy", events)
    for i in range(events // 5):
        Note.objects.create(performer=owner, customer=customer, body=f"n{i}")
        Offer.objects.create(performer=owner, customer=customer, value=1 + i)
        Feedback.objects.create(performer=owner, customer=customer, rating=1 + i % 5)
    set_customer_lists(
        performer=owner,
        customers=Customer.objects.filter(pk=customer.pk),
        lists=[CustomerList.objects.create(performer=owner, name=f"L{i}") for i in range(5)],
    )
    url = reverse(f"customers:{page}", args=[customer.pk])
    # Session, user, customer, then a fixed set per section: detail = events by type,
    # ratings, offers, lists, the events and feedback pages (the insights counted them) and
    # count + page of notes and activity; history = the chart (which counts the events), the
    # events page, offer totals (which count the offers), the offers page and count + page
    # of feedback.
    with django_assert_max_num_queries({"detail": 13, "history": 9}[page]):
        response = owner_client.get(url, {"events-sort": "amount", "events-page": 2})
    assert response.status_code == 200


def test_make_customer_is_not_new_and_has_one_event(owner):
    # Guard for the fixtures above: an old single call.
    customer = make_customer(owner, "zed")
    assert customer.events.count() == 1 and not customer.is_new


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("john_doe", "JD"),
        ("BigSpender", "BS"),
        ("Member0042", "ME"),
        ("0042", "00"),
        ("__", "?"),
        ("ABCdef", "AC"),
        # Letters beyond ASCII start words too: "ZN" and "AM" before.
        ("Zoë Ångström", "ZÅ"),
        ("acc01169_Ömer", "AÖ"),
        ("ÉlodieÖzil", "ÉÖ"),
        ("日本語ユーザー", "日本"),
    ],
)
def test_the_avatar_shows_up_to_two_initials(name, letters):
    assert initials(name) == letters


def test_table_dates_read_month_day_year_and_time_in_a_time_element():
    moment = datetime(2025, 3, 4, 14, 5, tzinfo=UTC)
    assert when(moment) == '<time datetime="2025-03-04T14:05:00+00:00">Mar 4, 2025 14:05</time>'
    assert when(moment, time=False) == (
        '<time datetime="2025-03-04T14:05:00+00:00">Mar 4, 2025</time>'
    )
    assert when(None) == "—"


def activity_lines(response) -> list[str]:
    html = response.content.decode()
    section = html.split('id="activity"', 1)[1].split("</ol>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in section.split("<li")[1:]]


def test_a_mass_actions_one_entry_reads_as_an_entry_of_each_customer(owner_client, owner, alice):
    """An action over several customers writes one shared entry (contacts.activity); each
    of its customers' history shows it exactly as an entry of their own."""
    bob, carol = make_customer(owner, "bob"), make_customer(owner, "carol")
    before = activity_lines(detail(owner_client, alice))
    block_customers(performer=owner, customers=Customer.objects.filter(pk__in=[alice.pk, bob.pk]))
    shared = Activity.objects.get(verb=ActivityVerb.BLOCKED)
    assert shared.customer is None
    # Carol's own entry of the same action at the same time: the line both others must read.
    Activity.objects.create(
        performer=owner, customer=carol, verb=ActivityVerb.BLOCKED, created_at=shared.created_at
    )
    own = activity_lines(detail(owner_client, carol))
    assert len(own) == 1 and "Blocked" in own[0]
    assert activity_lines(detail(owner_client, alice)) == own + before
    assert activity_lines(detail(owner_client, bob)) == own
