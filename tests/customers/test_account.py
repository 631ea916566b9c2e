"""The performer's account page: their time zone (issue 19, defect 14), which times, date
filters and paid days follow."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.notes import add_note
from contacts.services import NewEvent, record_events
from contacts.types import ContactType
from mycustomers import account, daily_refresh
from mycustomers.filters import CustomerFilter
from mycustomers.models import Customer, Performer
from tests.customers.main_view_helpers import customer, get, names

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("account")
UTC = ZoneInfo("UTC")
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: a UTC evening is their next day


def choose(client, name: str):
    return client.post(ACCOUNT, {"time_zone": name}, follow=True)


def test_the_header_links_the_account_page_beside_the_name(owner_client):
    body = owner_client.get(reverse("customers:list")).content.decode()
    header = body[body.index('<header class="site-header">') : body.index("</header>")]
    assert f'<a href="{ACCOUNT}">Account</a>' in header
    assert header.index(f'href="{ACCOUNT}"') < header.index(f'href="{reverse("password_change")}"')


def test_the_account_page_offers_the_zones_a_person_lives_in(owner_client):
    response = owner_client.get(ACCOUNT)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_time_zone">Time zone</label>' in body
    assert '<option value="" selected>The site&#x27;s time zone (UTC)</option>' in body
    assert '<optgroup label="Pacific">' in body
    assert f'<option value="{KIRITIMATI}">Kiritimati</option>' in body
    assert '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in (
        body
    )
    assert 'value="US/Pacific"' not in body and 'value="Etc/GMT+5"' not in body


def test_choosing_a_zone_saves_it_and_pages_show_it(owner, owner_client):
    response = choose(owner_client, KIRITIMATI)
    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Time zone set to Pacific/Kiritimati." in response.content.decode()
    assert f'<option value="{KIRITIMATI}" selected>' in response.content.decode()
    owner.refresh_from_db()
    assert owner.time_zone == KIRITIMATI
    # The site's zone again: stored as "".
    choose(owner_client, "")
    owner.refresh_from_db()
    assert owner.time_zone == ""


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "US/Pacific", "../etc/passwd", "x" * 500])
def test_a_zone_not_in_the_list_is_a_field_error(owner, owner_client, name):
    response = owner_client.post(ACCOUNT, {"time_zone": name})
    assert response.status_code == 400
    assert "Choose a time zone from the list." in response.content.decode()
    owner.refresh_from_db()
    assert owner.time_zone == ""


def test_the_account_page_needs_a_login(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- What follows the zone ---------------------------------------------------------------


def evening_payments(performer, name: str) -> Customer:
    """Paid at 20:00 UTC on days 40, 30 and 29 before today, and at 08:00 UTC on day 20
    (in UTC the paid days are 40, 30, 29 and 20; in Kiritimati, 39, 29, 28 and 20)."""
    today = timezone.localdate(timezone.now(), UTC)
    moments = [
        datetime.combine(today - timedelta(days=d), time(h), UTC)
        for d, h in ((40, 20), (30, 20), (29, 20), (20, 8))
    ]
    record_events(
        performer=performer,
        events=[NewEvent(name, ContactType.CALL_RECEIVED, at, Decimal("10")) for at in moments],
    )
    return Customer.objects.get(performer=performer, member_name=name)


def test_a_new_zone_moves_the_paid_days_and_the_rhythm_follows(owner, owner_client):
    before = evening_payments(owner, "ann")
    # UTC paid days 40, 30, 29, 20 before today: gaps 10, 1, 9, median 9.
    assert before.usual_gap == Decimal("9.0")
    choose(owner_client, KIRITIMATI)
    after = Customer.objects.get(pk=before.pk)
    # Kiritimati: 39, 29, 28, 20 before (UTC) today: gaps 10, 1, 8, median 8.
    assert after.usual_gap == Decimal("8.0")
    assert after.last_paid_day == before.last_paid_day  # 08:00 UTC is 22:00 the same day
    assert after.due_date == after.last_paid_day + timedelta(days=8)


def test_a_large_performer_is_refreshed_by_the_worker(owner, owner_client, settings, monkeypatch):
    monkeypatch.setattr(account, "REFRESH_NOW_MAX", 0)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    before = evening_payments(owner, "ann")
    response = choose(owner_client, KIRITIMATI)
    assert "being recomputed in the background" in response.content.decode()
    assert Customer.objects.get(pk=before.pk).usual_gap == Decimal("9.0")  # not yet
    [result] = daily_refresh.refresh_performer.get_backend().results
    assert result.args == [owner.pk]
    daily_refresh.refresh_performer.call(owner.pk)  # the worker
    assert Customer.objects.get(pk=before.pk).usual_gap == Decimal("8.0")


def test_choosing_the_same_zone_again_refreshes_nothing(owner, owner_client, monkeypatch):
    Performer.objects.filter(pk=owner.pk).update(time_zone=KIRITIMATI)
    monkeypatch.setattr("contacts.rhythm.refresh", lambda performer: pytest.fail("refreshed"))
    assert "Time zone set to" in choose(owner_client, KIRITIMATI).content.decode()


def test_date_filters_are_days_in_the_performers_zone(owner, owner_client):
    # 20:00 UTC on June 15 is 10:00 on June 16 in Kiritimati.
    customer(owner, "evening", last_contact=datetime(2025, 6, 15, 20, tzinfo=UTC))
    morning = datetime(2025, 6, 15, 8, tzinfo=UTC)
    customer(owner, "morning", last_contact=morning, first_contact=morning)
    assert names(get(owner_client, contact_after="2025-06-16", sort="customer")) == []
    assert names(get(owner_client, contact_before="2025-06-15", sort="customer")) == [
        "evening",
        "morning",
    ]
    Performer.objects.filter(pk=owner.pk).update(time_zone=KIRITIMATI)
    assert names(get(owner_client, contact_after="2025-06-16", sort="customer")) == ["evening"]
    assert names(get(owner_client, contact_before="2025-06-15", sort="customer")) == ["morning"]
    Customer.objects.filter(member_name="evening").update(
        first_contact=datetime(2025, 6, 15, 20, tzinfo=UTC)
    )
    assert names(get(owner_client, since_after="2025-06-16", sort="customer")) == ["evening"]


def test_times_show_in_the_performers_zone_with_its_abbreviation(owner, owner_client):
    Performer.objects.filter(pk=owner.pk).update(time_zone=KIRITIMATI)
    ann = customer(owner, "ann")
    note = add_note(performer=owner, customer=ann, body="Call back")
    at = datetime(2025, 6, 15, 20, 5, tzinfo=UTC)
    type(note).objects.filter(pk=note.pk).update(created_at=at, updated_at=at)
    body = owner_client.get(ann.get_absolute_url()).content.decode()
    assert "Jun 16, 2025 10:05 +14" in body  # the note, in Kiritimati
    assert "Times are in Pacific/Kiritimati" in body
    event = ann.events.get()
    history = owner_client.get(reverse("customers:history", args=[ann.pk])).content.decode()
    shown = timezone.localtime(event.occurred_at, ZoneInfo(KIRITIMATI))
    # The tables' times are in the zone, which the page names once.
    assert f'<time datetime="{shown.isoformat()}">' in history
    assert "Times are in Pacific/Kiritimati (+14)" in history
    purchase = owner_client.get(reverse("customers:purchase", args=[ann.pk, event.pk]))
    assert f"{shown:%H:%M} +14" in purchase.content.decode()


def test_cached_counts_of_a_date_filter_follow_a_new_zone(owner, owner_client):
    customer(owner, "evening", last_contact=datetime(2025, 6, 15, 20, tzinfo=UTC))
    view = {"contact_after": "2025-06-16"}
    assert get(owner_client, **view).context["table"].paginator.count == 0
    choose(owner_client, KIRITIMATI)
    assert get(owner_client, **view).context["table"].paginator.count == 1


def test_the_count_cache_key_names_the_zone(owner):
    # Two zones with the same date and day boundaries today: the key alone tells them apart,
    # as a performer's new zone may change no customer row (no new data version).
    def key(zone: str) -> tuple:
        with timezone.override(zone):
            view = CustomerFilter(
                {"contact_after": "2025-06-16"},
                queryset=Customer.objects.for_performer(owner),
                performer=owner,
            )
            assert view.is_valid()
            return view.cache_key()

    assert key("UTC") != key("Africa/Abidjan")
