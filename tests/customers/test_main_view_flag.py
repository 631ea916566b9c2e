"""Dismissing the missed-call flag from the main view (M7), with and without htmx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from contacts.models import Activity, ActivityVerb
from contacts.types import ContactType
from tests.factories import add_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller(owner):
    return add_event(owner, "caller", ContactType.CALL_MISSED, ago=timedelta(hours=1))


def dismiss_url(customer) -> str:
    return reverse("customers:dismiss_flag", args=[customer.pk])


def test_dismissing_without_javascript_redirects_back_to_the_same_view(owner_client, caller):
    back = "/customers/?sort=-earnings&page=2"
    response = owner_client.post(dismiss_url(caller), {"next": back})

    assert response.status_code == 302
    assert response["Location"] == back
    caller.refresh_from_db()
    assert not caller.has_missed_call
    assert b"missed-call" not in owner_client.get(back).content


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/customers/",
        "javascript:alert(1)",
        "",
        "foo",
        "login",
    ],
)
def test_it_never_redirects_off_site(owner_client, caller, next_url):
    response = owner_client.post(dismiss_url(caller), {"next": next_url})
    assert response["Location"] == reverse("customers:list")


def test_with_htmx_it_answers_with_the_updated_customer_cell(owner_client, caller):
    response = owner_client.post(dismiss_url(caller), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert content.startswith(f'<div class="customer" id="customer-{caller.pk}">')
    assert ">caller</a>" in content
    assert "missed-call" not in content
    assert "<html" not in content
    caller.refresh_from_db()
    assert not caller.has_missed_call


def test_dismissing_is_recorded_in_the_activity_history(owner, owner_client, caller):
    owner_client.post(dismiss_url(caller), HTTP_HX_REQUEST="true")
    assert Activity.objects.filter(
        performer=owner, customer=caller, verb=ActivityVerb.MISSED_CALL_DISMISSED
    ).exists()


def test_a_later_missed_call_raises_the_flag_again(owner, owner_client, caller):
    owner_client.post(dismiss_url(caller))
    add_event(owner, "caller", ContactType.CALL_MISSED, ago=timedelta(seconds=0))
    caller.refresh_from_db()
    assert caller.has_missed_call


def test_dismissing_twice_is_harmless(owner_client, caller):
    owner_client.post(dismiss_url(caller))
    response = owner_client.post(dismiss_url(caller), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "missed-call" not in response.content.decode()


def test_another_performers_customer_is_a_404_and_keeps_its_flag(colleague, owner_client):
    theirs = add_event(colleague, "theirs", ContactType.CALL_MISSED, ago=timedelta(hours=1))

    response = owner_client.post(dismiss_url(theirs), HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.has_missed_call


def test_it_only_takes_post(owner_client, caller):
    assert owner_client.get(dismiss_url(caller)).status_code == 405
    caller.refresh_from_db()
    assert caller.has_missed_call


def test_it_needs_a_csrf_token(owner, caller):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(dismiss_url(caller)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, caller):
    response = client.post(dismiss_url(caller))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
