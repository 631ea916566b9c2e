"""Logging in and out (Django's auth views at /accounts/)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/customers/", "/lists/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_the_home_page_leads_to_my_customers(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 302
    assert response.url == "/customers/"


def test_the_login_page_renders_a_labelled_form(client):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html


def test_the_right_password_logs_in_and_goes_to_my_customers(client, owner):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.url == "/customers/"
    assert client.get("/customers/").status_code == 200


def test_a_wrong_password_shows_the_form_again_with_an_error(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_a_performer_without_a_usable_password_cannot_log_in(client, owner):
    owner.set_unusable_password()
    owner.save()
    client.post("/accounts/login/", {"username": "owner", "password": "correct horse battery"})
    assert "_auth_user_id" not in client.session


def test_a_logged_in_performer_skips_the_login_page(owner_client):
    response = owner_client.get("/accounts/login/")
    assert response.status_code == 302
    assert response.url == "/customers/"


def test_logout_is_post_only(owner_client):
    assert owner_client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in owner_client.session


def test_logging_out_ends_the_session(owner_client):
    response = owner_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert owner_client.get("/customers/").status_code == 302
