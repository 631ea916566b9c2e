"""Server errors: a database that does not answer is a 503 page that needs no database."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(owner) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


@pytest.fixture
def database_down():
    """Every query from now on fails as with the server gone (nor can the page query)."""
    refused = OperationalError("connection to server failed: Connection refused")
    with mock.patch.object(DatabaseWrapper, "create_cursor", side_effect=refused):
        yield


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/customers/"),
        ("get", "/customers/export/"),
        ("get", "/lists/"),
        ("post", "/lists/new/"),
        ("get", "/accounts/login/"),
    ],
)
def test_a_database_that_does_not_answer_is_a_503_page(logged_in, database_down, method, url):
    response = getattr(logged_in, method)(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporarily unavailable" in response.content.decode()


def test_the_503_page_keeps_the_security_headers(logged_in, database_down):
    response = logged_in.get("/customers/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_any_other_error_is_still_a_500(logged_in):
    with mock.patch("mycustomers.views.main.CustomerListView.get", side_effect=ValueError("a bug")):
        response = logged_in.get("/customers/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize("url", ["/customers/", "/accounts/login/"])
def test_a_database_that_does_not_answer_is_a_503_with_debugging_on(
    logged_in, database_down, settings, url
):
    """`make run` serves with DEBUG on, where Django shows its debug page (a 500) instead of
    handler500: the database's restart must still read as a 503 to retry."""
    settings.DEBUG = True

    response = logged_in.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporarily unavailable" in response.content.decode()
    assert "default-src 'self'" in response["Content-Security-Policy"]
