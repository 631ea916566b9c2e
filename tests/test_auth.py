"""Logging in and out (Django's auth views at /accounts/)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

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


# ``next`` is followed only to a path on this site: a bare word (a relative address) or
# another host's address goes to the usual page (issue 20, defect 2).
BAD_NEXT = ["foo", "1e2", "%C2%B2", "//evil.com", "https://evil.com/", "javascript:alert(1)"]


@pytest.mark.parametrize("bad", BAD_NEXT)
def test_logging_in_follows_only_a_path_on_this_site(client, owner, bad):
    response = client.post(
        f"/accounts/login/?next={bad}", {"username": "owner", "password": "correct horse battery"}
    )
    assert response.url == "/customers/"
    assert client.get(f"/accounts/login/?next={bad}").url == "/customers/"
    good = client.get("/accounts/login/?next=/lists/")
    assert good.url == "/lists/"


@pytest.mark.parametrize("bad", BAD_NEXT)
def test_logging_out_follows_only_a_path_on_this_site(owner_client, bad):
    assert owner_client.post(f"/accounts/logout/?next={bad}").url == "/accounts/login/"


# --- Changing and resetting the password (ASVS V2.1, V2.5) ---------------------------------

NEW_PASSWORD = "a much longer secret 42"


def test_every_page_links_to_change_the_password(owner_client):
    html = owner_client.get("/customers/").content.decode()
    assert 'href="/accounts/password/change/"' in html


def test_the_login_page_links_to_reset_a_forgotten_password(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in html


def test_changing_the_password_needs_a_login(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_change_form_renders_labelled_fields_with_the_password_rules(owner_client):
    html = owner_client.get("/accounts/password/change/").content.decode()
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'for="id_{name}"' in html
    assert 'id="id_new_password1_helptext"' in html
    assert "at least 8 characters" in html


def test_a_wrong_old_password_changes_nothing(owner_client, owner):
    response = owner_client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")


def test_a_weak_new_password_is_refused(owner_client, owner):
    response = owner_client.post(
        "/accounts/password/change/",
        {"old_password": "correct horse battery", "new_password1": "12345678",
         "new_password2": "12345678"},
    )  # fmt: skip
    assert "new_password2" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")


def test_changing_the_password_keeps_this_session_and_ends_the_others(owner_client, owner):
    other = Client()
    other.force_login(owner)

    response = owner_client.post(
        "/accounts/password/change/",
        {"old_password": "correct horse battery", "new_password1": NEW_PASSWORD,
         "new_password2": NEW_PASSWORD},
    )  # fmt: skip

    assert response.status_code == 302
    assert response.url == "/accounts/password/change/done/"
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert owner_client.get("/accounts/password/change/done/").status_code == 200
    assert owner_client.get("/customers/").status_code == 200
    assert other.get("/customers/").status_code == 302


@pytest.fixture
def mailed_owner(owner):
    owner.email = "owner@example.com"
    owner.save(update_fields=["email"])
    return owner


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)


def test_a_reset_mails_a_link_that_sets_a_new_password(client, mailed_owner, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "OWNER@example.com"})

    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    (message,) = mailoutbox
    assert message.to == ["owner@example.com"]
    assert message.subject == "Choose a new password for My Customers"
    assert "within an hour" in message.body

    form_page = client.get(reset_link(message), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == "/accounts/reset/done/"
    mailed_owner.refresh_from_db()
    assert mailed_owner.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session  # it does not log in by itself


def test_a_reset_link_works_once(client, mailed_owner, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    link = reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailed_owner, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_an_account_without_a_password_gets_no_reset_mail(client, mailed_owner, mailoutbox):
    mailed_owner.set_unusable_password()  # as import_events creates performers
    mailed_owner.save()
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    assert mailoutbox == []


@pytest.mark.parametrize(
    "url",
    ["/accounts/password/reset/", "/accounts/password/reset/sent/", "/accounts/reset/done/",
     "/accounts/reset/MQ/bad-token/"],
)  # fmt: skip
def test_the_reset_pages_render_for_anonymous_visitors(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
