"""Where a form's ``next`` field may send the browser back to."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, value: str | None, default: str) -> str:
    """``value`` if it is a path on this site, else ``default``. Never a bare word (which
    ``redirect()`` would take for a URL name) nor another host's address."""
    if (
        value
        and value.startswith("/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return default


class SitePathRedirectMixin:
    """For Django's login and logout views: their ``next`` is followed only to a path on this
    site. Django would also follow a bare word as a relative address (``next=foo`` from
    /accounts/login/ lands on /accounts/login/foo, a 404)."""

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return url if url.startswith("/") else ""
