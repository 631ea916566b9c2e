"""Middleware for logged-in performers' sessions and pages."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from mycustomers.views.errors import database_unavailable

# Session keys: when the performer logged in, and when the session was last saved.
STARTED = "_session_started"
SAVED = "_session_saved"


class SessionTimeoutMiddleware:
    """Idle and absolute session timeouts (ASVS V3.3.2).

    A database session expires SESSION_COOKIE_AGE after it was last saved. Saving it on every
    request (SESSION_SAVE_EVERY_REQUEST) would write to the database on every request; it is
    saved again once its last save is SESSION_REFRESH_SECONDS old, so a performer is logged out
    between SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after their last
    request. Whatever the activity, a session ends SESSION_MAX_SECONDS after the login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rules = settings.MYCUSTOMERS
        now = int(time.time())
        if request.user.is_authenticated:
            started = request.session.get(STARTED, now)
            if now - started > rules["SESSION_MAX_SECONDS"]:
                logout(request)
                messages.info(request, "Your session has ended: please log in again.")
        response = self.get_response(request)
        if request.user.is_authenticated:
            session = request.session
            if now - session.get(SAVED, 0) >= rules["SESSION_REFRESH_SECONDS"]:
                session[SAVED] = now  # saved at the end of the request: expiry moves ahead
                session.setdefault(STARTED, now)  # a session from before these timeouts
        return response


def start_session_clock(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: the login saves the session anyway, so the clock costs no write."""
    now = int(time.time())
    request.session[STARTED] = request.session[SAVED] = now


class NoStoreForLoggedInMiddleware:
    """Pages for a logged-in performer hold customers' data: no browser or proxy cache may
    keep a copy (ASVS V8.2.1), the CSV export included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class PerformerTimeZoneMiddleware:
    """Times and calendar days on a logged-in performer's pages are in their own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            timezone.activate(request.user.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DatabaseUnavailableMiddleware:
    """A database that does not answer is the 503 page whatever DEBUG says.

    With DEBUG on (``make run``) Django answers an uncaught exception with its debug page, a
    500, and never calls handler500 (``mycustomers.views.errors``); a database restart must
    still read as "try again". Exceptions never reach a middleware (each layer turns them
    into a response), but ``got_request_exception`` is sent while one is handled: it marks
    the request, and the 500 that follows becomes the 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_mark_database_unavailable, dispatch_uid=__name__)

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, DATABASE_UNAVAILABLE, False):
            return database_unavailable()
        return response


DATABASE_UNAVAILABLE = "_database_unavailable"


def _mark_database_unavailable(sender, request=None, **kwargs) -> None:
    if request is not None and isinstance(sys.exc_info()[1], OperationalError):
        setattr(request, DATABASE_UNAVAILABLE, True)
