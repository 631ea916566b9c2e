from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_customer

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_pages_carry_the_security_headers(client):
    response = client.get("/accounts/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url",
    [
        "/customers/",
        "/accounts/",
        "/customers/lookup/?member=alice",
        "/customers/lookup/suggestions/?q=al",
    ],
)
def test_logged_in_pages_carry_the_strict_csp(owner_client, owner, url):
    make_customer(owner, "alice")
    response = owner_client.get(url)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.mark.parametrize(
    "template",
    sorted([*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.jinja")]),
    ids=lambda p: p.name,
)
def test_templates_have_no_inline_script_or_style(template):
    html = template.read_text()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    assert inline_scripts == []
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handlers break under the CSP"


def test_a_post_without_a_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/accounts/logout/").status_code == 403


def test_logout_is_post_only(owner_client):
    assert owner_client.get("/accounts/logout/").status_code == 405
    assert owner_client.post("/accounts/logout/").status_code == 302


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_repeated_failed_logins_lock_the_account(client, owner, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


def test_the_right_password_logs_in(client, owner, settings):
    settings.AXES_ENABLED = True
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.url == "/customers/"
