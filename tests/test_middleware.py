"""mycustomers/middleware.py: session timeouts and no caching of logged-in pages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from mycustomers.middleware import SAVED, STARTED
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


# --- Cache-Control (ASVS V8.2.1) ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/customers/",
        "/customers/export/",
        "/lists/",
        "/accounts/password/change/",
        "/accounts/",
        "/customers/lookup/?member=alice",
        "/customers/lookup/suggestions/?q=al",
        "/customers/deleted/",
    ],
)
def test_pages_for_a_logged_in_performer_are_never_stored(owner_client, owner, url):
    make_customer(owner, "alice")
    response = owner_client.get(url)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_a_redirect_after_logging_in_is_never_stored(client, owner):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct horse battery"}
    )
    assert "no-store" in response["Cache-Control"]


def test_anonymous_pages_may_be_cached_as_django_decides(client):
    response = client.get("/accounts/password/reset/sent/")
    assert "no-store" not in response.get("Cache-Control", "")


# --- Session timeouts (ASVS V3.3.2) -------------------------------------------------------


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def age_session(client, *, started: int = 0, saved: int = 0) -> None:
    """Make the session look logged in ``started`` and last saved ``saved`` seconds ago."""
    session = client.session
    now = int(time.time())
    session[STARTED], session[SAVED] = now - started, now - saved
    session.save()


def test_the_session_lasts_30_minutes_without_a_request(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_a_request_soon_after_the_last_save_writes_no_session(owner_client):
    owner_client.get("/customers/")
    age_session(owner_client, started=60, saved=60)
    expiry = session_row(owner_client).expire_date

    owner_client.get("/customers/")

    assert session_row(owner_client).expire_date == expiry


def test_a_request_once_the_session_is_5_minutes_old_moves_its_expiry_ahead(owner_client):
    owner_client.get("/customers/")
    age_session(owner_client, started=400, saved=400)
    Session.objects.filter(session_key=owner_client.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=20)
    )

    response = owner_client.get("/customers/")

    assert response.status_code == 200
    expiry = session_row(owner_client).expire_date
    assert expiry > timezone.now() + timedelta(minutes=29)
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_an_idle_session_has_expired(owner_client):
    Session.objects.filter(session_key=owner_client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = owner_client.get("/customers/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_session_ends_12_hours_after_the_login_however_busy(owner_client):
    owner_client.get("/customers/")
    age_session(owner_client, started=12 * 60 * 60 + 1, saved=10)

    response = owner_client.get("/customers/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert "_auth_user_id" not in owner_client.session
    login_page = owner_client.get(response.url)
    assert "Your session has ended: please log in again." in login_page.content.decode()


def test_logging_in_starts_the_clock(client, owner):
    client.post("/accounts/login/", {"username": "owner", "password": "correct horse battery"})
    assert abs(client.session[STARTED] - time.time()) < 5


def test_the_first_request_after_logging_in_writes_no_session(
    owner_client, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the session and the user, no UPDATE of the session
        owner_client.get("/accounts/password/change/")


def test_a_session_from_before_the_timeouts_gets_its_clock_at_once(owner_client):
    session = owner_client.session
    del session[STARTED], session[SAVED]
    session.save()

    owner_client.get("/customers/")

    assert abs(owner_client.session[STARTED] - time.time()) < 5
