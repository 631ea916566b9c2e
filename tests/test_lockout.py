"""mycustomers/lockout.py: failed logins lock an address over any usernames, and a username
over any addresses at a higher limit; behind trusted proxies the address is the client's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import RequestFactory

from mycustomers.lockout import client_ip
from tests.factories import PerformerFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "USERNAME_FAILURE_LIMIT": 30}


def log_in(client, username: str, password: str, **meta):
    return client.post("/accounts/login/", {"username": username, "password": password}, **meta)


def test_failures_over_many_usernames_lock_the_address(client, owner):
    for n in range(5):
        for _ in range(2):
            log_in(client, f"guess{n}", "wrong")

    response = log_in(client, "owner", RIGHT)

    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_another_address_can_still_log_in(client, owner):
    for _ in range(10):
        log_in(client, "owner", "wrong", REMOTE_ADDR="203.0.113.9")

    response = log_in(client, "owner", RIGHT, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302


def test_failures_for_one_username_from_many_addresses_lock_it_only_at_the_higher_limit(
    client, owner
):
    for n in range(29):
        log_in(client, "owner", "wrong", REMOTE_ADDR=f"203.0.113.{n}")
    assert log_in(client, "owner", RIGHT, REMOTE_ADDR="198.51.100.1").status_code == 302
    client.post("/accounts/logout/")

    log_in(client, "owner", "wrong", REMOTE_ADDR="203.0.113.29")  # the 30th

    assert log_in(client, "owner", RIGHT, REMOTE_ADDR="198.51.100.2").status_code == 429
    PerformerFactory(username="colleague")
    assert log_in(client, "colleague", RIGHT, REMOTE_ADDR="198.51.100.3").status_code == 302


def test_behind_a_trusted_proxy_each_client_is_locked_on_its_own(client, owner, settings):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "TRUSTED_PROXY_COUNT": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(10):
        log_in(client, "owner", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)

    blocked = log_in(client, "owner", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    other = log_in(client, "owner", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    assert (blocked.status_code, other.status_code) == (429, 302)


def test_without_a_trusted_proxy_a_forged_header_does_not_dodge_the_lock(client, owner):
    for n in range(10):
        log_in(client, "owner", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = log_in(client, "owner", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client wrote 6.6.6.6 itself
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # shorter than the proxies: not trusted
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_from_the_trusted_proxies_entries(
    settings, proxies, forwarded, address
):
    settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "TRUSTED_PROXY_COUNT": proxies}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == address


def test_production_trusts_one_proxy_unless_told_otherwise():
    code = (
        "import os, django;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'mycustomers.settings.production';"
        "os.environ.setdefault('DJANGO_SECRET_KEY', 'x' * 60);"
        "os.environ.pop('MYCUSTOMERS_TRUSTED_PROXY_COUNT', None);"
        "django.setup();"
        "from django.conf import settings;"
        "print(settings.MYCUSTOMERS['TRUSTED_PROXY_COUNT'])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "1", result.stderr
