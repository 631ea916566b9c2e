"""Log-in lockout (django-axes): by address over any usernames, and by username over any
addresses with a higher limit (see the AXES_* settings for why)."""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum


def client_ip(request) -> str | None:
    """The client's address. With TRUSTED_PROXY_COUNT = n proxies in front of the app, the
    n-th address from the right of X-Forwarded-For: each proxy appends the address it got
    the request from, so the addresses further left were written by the client and prove
    nothing. Without proxies, or when the header is short or garbled, REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.MYCUSTOMERS["TRUSTED_PROXY_COUNT"]
    if count < 1:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


class LockoutHandler(AxesDatabaseHandler):
    """Axes compares one count of failures with AXES_FAILURE_LIMIT. This handler's count is
    the address's failures, or the username's scaled so that it reaches AXES_FAILURE_LIMIT
    exactly when it reaches USERNAME_FAILURE_LIMIT, whichever is higher."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        failures = {
            str(parameter): queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for parameter, queryset in zip(parameters, attempts, strict=True)
        }
        limit = get_failure_limit(request, credentials)
        username_limit = settings.MYCUSTOMERS["USERNAME_FAILURE_LIMIT"]
        # floor(u * limit / username_limit) >= limit exactly when u >= username_limit.
        by_username = failures.get("username", 0) * limit // username_limit
        return max(failures.get("ip_address", 0), by_username)
