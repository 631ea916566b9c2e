from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from contacts.models import ContactEvent, Mail, MailDelivery
from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner):
    """Five of the owner's customers: three whose names start with B."""
    return {name: make_customer(owner, name) for name in ("Bella", "Bob", "Brutus", "Carl", "Dana")}


def ids(*customers):
    return [c.pk for c in customers]


def status_of(*names):
    return {c.member_name: c.status for c in Customer.objects.filter(member_name__in=names)}


class TestBlock:
    def test_the_confirmation_shows_the_exact_count(self, owner_client, people):
        response = owner_client.get(
            reverse("customers:block"), {"ids": ids(people["Bob"], people["Carl"])}
        )
        assert response.status_code == 200
        assert "Block 2 customers" in response.content.decode()
        assert status_of("Bob", "Carl") == {"Bob": "active", "Carl": "active"}

    def test_it_blocks_the_checked_rows_and_returns_to_the_same_view(self, owner_client, people):
        back = "/customers/?sort=earnings&page=1&letter=B"
        response = owner_client.post(
            reverse("customers:block"), {"ids": ids(people["Bob"]), "next": back}
        )
        assert response.status_code == 302 and response.url == back
        assert status_of("Bob", "Bella") == {"Bob": "blocked", "Bella": "active"}
        follow = owner_client.get(back)
        assert "Blocked 1 customer." in follow.content.decode()

    def test_all_in_view_re_evaluates_the_filters_on_the_server(self, owner_client, people):
        response = owner_client.get(reverse("customers:block"), {"scope": "all", "letter": "b"})
        assert "Block 3 customers" in response.content.decode()
        owner_client.post(reverse("customers:block"), {"scope": "all", "letter": "b"})
        assert Customer.objects.blocked().count() == 3
        assert status_of("Carl", "Dana") == {"Carl": "active", "Dana": "active"}

    def test_all_in_view_within_a_list_and_a_search(self, owner, owner_client, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        set_customer_lists(
            performer=owner,
            lists=[vip],
            customers=Customer.objects.filter(member_name__in=["Bob", "Carl"]),
        )
        owner_client.post(reverse("customers:block"), {"scope": "all", "list": vip.pk, "q": "ob"})
        assert list(Customer.objects.blocked().values_list("member_name", flat=True)) == ["Bob"]


class TestSelectionValidation:
    def test_another_performers_ids_are_refused_and_nothing_changes(
        self, owner_client, colleague, people
    ):
        theirs = make_customer(colleague, "Zed")
        response = owner_client.post(
            reverse("customers:block"), {"ids": ids(people["Bob"], theirs)}
        )
        assert response.status_code == 400
        assert "not yours" in response.content.decode()
        assert status_of("Bob", "Zed") == {"Bob": "active", "Zed": "active"}

    @pytest.mark.parametrize(
        "bad",
        [
            {"ids": "abc"},
            {"ids": "-1"},
            {"ids": "9" * 30},
            {"scope": "all", "list": "999999"},
            {"scope": "all", "letter": "%%"},
        ],
    )
    def test_bad_selections_get_a_clear_400(self, owner_client, people, bad):
        response = owner_client.get(reverse("customers:delete"), bad)
        assert response.status_code == 400
        assert "Nothing was changed" in response.content.decode()

    def test_another_performers_list_in_all_in_view_is_refused(
        self, owner_client, colleague, people
    ):
        theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
        response = owner_client.post(
            reverse("customers:block"), {"scope": "all", "list": theirs.pk}
        )
        assert response.status_code == 400
        assert not Customer.objects.blocked().exists()

    def test_an_outside_next_url_is_ignored(self, owner_client, people):
        response = owner_client.post(
            reverse("customers:block"), {"ids": ids(people["Bob"]), "next": "https://evil.example/"}
        )
        assert response.url == "/customers/"


class TestDelete:
    def test_delete_then_undo_restores_the_same_customers(self, owner_client, people):
        owner_client.post(reverse("customers:delete"), {"ids": ids(people["Bob"], people["Dana"])})
        assert status_of("Bob", "Dana") == {"Bob": "deleted", "Dana": "deleted"}
        page = owner_client.get("/customers/").content.decode()
        assert "Deleted 2 customers." in page
        assert reverse("customers:undo_delete") in page

        response = owner_client.post(reverse("customers:undo_delete"))
        assert response.status_code == 302
        assert status_of("Bob", "Dana") == {"Bob": "active", "Dana": "active"}

    def test_undo_twice_does_nothing_more(self, owner_client, people):
        owner_client.post(reverse("customers:delete"), {"ids": ids(people["Bob"])})
        owner_client.post(reverse("customers:undo_delete"))
        owner_client.post(reverse("customers:delete"), {"ids": ids(people["Carl"])})
        owner_client.post(reverse("customers:undo_delete"))
        owner_client.post(reverse("customers:undo_delete"))
        assert status_of("Bob", "Carl") == {"Bob": "active", "Carl": "active"}

    def test_the_deleted_view_lists_and_restores(self, owner_client, people):
        owner_client.post(reverse("customers:delete"), {"ids": ids(people["Bob"])})
        page = owner_client.get(reverse("customers:deleted")).content.decode()
        assert "Bob" in page and "Carl" not in page
        owner_client.post(reverse("customers:restore"), {"ids": ids(people["Bob"])})
        assert status_of("Bob") == {"Bob": "active"}

    def test_deleted_events_stay(self, owner_client, people):
        before = ContactEvent.objects.count()
        owner_client.post(reverse("customers:delete"), {"scope": "all"})
        assert Customer.objects.deleted().count() == 5
        assert ContactEvent.objects.count() == before


class TestSendMail:
    def test_compose_shows_count_names_and_labelled_fields(self, owner_client, people):
        page = owner_client.get(
            reverse("customers:send_mail"),
            {"ids": ids(people["Bob"], people["Carl"])},
            follow=True,
        ).content.decode()
        assert "2 customers" in page and "Bob" in page and "Carl" in page
        assert '<label for="id_subject">Subject</label>' in page
        assert '<label for="id_body">Message</label>' in page

    def test_sending_records_one_delivery_and_event_each(self, owner_client, people):
        owner_client.post(
            reverse("customers:send_mail"),
            {"ids": ids(people["Bob"], people["Carl"]), "subject": "Hi", "body": "Hello"},
        )
        assert MailDelivery.objects.count() == 2
        assert ContactEvent.objects.filter(type=ContactType.MAIL_SENT).count() == 2

    def test_the_compose_form_submitted_twice_sends_once(self, owner_client, people):
        bob = {"ids": ids(people["Bob"])}
        page = owner_client.get(reverse("customers:send_mail"), bob, follow=True)
        token = re.search(r'name="token" value="([0-9a-f-]{36})"', page.content.decode())[1]
        form = {**bob, "subject": "Hi", "body": "Hello", "token": token}
        owner_client.post(reverse("customers:send_mail"), form)
        again = owner_client.post(reverse("customers:send_mail"), form, follow=True)
        assert "This mail was sent already: it is not sent twice." in again.content.decode()
        assert MailDelivery.objects.count() == 1
        people["Bob"].refresh_from_db()
        assert people["Bob"].mail_sent == 1
        # Each blank form has its own token.
        other = owner_client.get(reverse("customers:send_mail"), bob, follow=True)
        assert token not in other.content.decode()

    def test_the_compose_page_keeps_its_token_in_its_address(self, owner_client, people):
        # Back or a reload fetch the page anew (private pages are never cached): the
        # address, which the browser's history keeps, holds the token.
        url = reverse("customers:send_mail")
        first = owner_client.get(url, {"ids": people["Bob"].pk, "next": "/customers/?q=b"})
        assert first.status_code == 302
        query = parse_qs(urlsplit(first.url).query)
        assert query["ids"] == [str(people["Bob"].pk)] and query["next"] == ["/customers/?q=b"]
        token = query["draft"][0]
        page = owner_client.get(first.url).content.decode()
        assert f'name="token" value="{token}"' in page and "sent already" not in page
        form = {"ids": people["Bob"].pk, "subject": "Hi", "body": "Hello", "token": token}
        owner_client.post(first.url, form)
        back = owner_client.get(first.url).content.decode()
        assert "This mail was sent already" in back
        assert "Write a new mail to these customers" in back
        again = owner_client.post(first.url, form, follow=True)
        assert "This mail was sent already" in again.content.decode()
        assert Mail.objects.count() == 1 and MailDelivery.objects.count() == 1

    def test_a_bad_draft_token_gets_a_new_one(self, owner_client, people):
        url = reverse("customers:send_mail")
        response = owner_client.get(url, {"ids": people["Bob"].pk, "draft": "not-a-uuid"})
        assert response.status_code == 302
        assert "not-a-uuid" not in response.url and "draft=" in response.url

    def test_missing_subject_is_a_field_error_and_nothing_is_sent(self, owner_client, people):
        response = owner_client.post(
            reverse("customers:send_mail"), {"ids": ids(people["Bob"]), "subject": "", "body": "x"}
        )
        assert response.status_code == 400
        assert "Enter a subject." in response.content.decode()
        assert not MailDelivery.objects.exists()

    def test_blocked_recipients_are_skipped_and_reported(self, owner_client, people):
        owner_client.post(reverse("customers:block"), {"ids": ids(people["Bob"])})
        response = owner_client.post(
            reverse("customers:send_mail"),
            {"ids": ids(people["Bob"], people["Carl"]), "subject": "Hi", "body": "Hello"},
            follow=True,
        )
        assert "Mail sent to 1 customer. Skipped 1 customer who are blocked." in (
            response.content.decode()
        )

    def test_mailing_a_new_customer_clears_the_badge(self, owner, owner_client):
        fresh = add_event(owner, "Newbie", ago=timedelta(days=1))
        assert fresh.is_new
        owner_client.post(
            reverse("customers:send_mail"), {"ids": [fresh.pk], "subject": "Welcome", "body": "Hi"}
        )
        fresh.refresh_from_db()
        assert not fresh.is_new


class TestAssign:
    def test_assign_replaces_lists_and_can_create_one(self, owner, owner_client, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        old = CustomerList.objects.create(performer=owner, name="Old")
        set_customer_lists(
            performer=owner, lists=[old], customers=Customer.objects.filter(member_name="Bob")
        )
        owner_client.post(
            reverse("customers:assign"),
            {"ids": ids(people["Bob"]), "lists": [vip.pk], "new_list": "Fresh"},
        )
        bob = Customer.objects.get(member_name="Bob")
        assert bob.list_names == "Fresh, VIP"

    def test_a_bad_new_list_name_is_a_field_error(self, owner, owner_client, people):
        CustomerList.objects.create(performer=owner, name="VIP")
        response = owner_client.post(
            reverse("customers:assign"), {"ids": ids(people["Bob"]), "new_list": "vip"}
        )
        assert response.status_code == 400
        assert "already have a list" in response.content.decode()
        assert Customer.objects.get(member_name="Bob").list_names == ""

    def test_another_performers_list_cannot_be_ticked(self, owner_client, colleague, people):
        theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
        response = owner_client.post(
            reverse("customers:assign"), {"ids": ids(people["Bob"]), "lists": [theirs.pk]}
        )
        assert response.status_code == 400
        assert Customer.objects.get(member_name="Bob").list_names == ""


def test_a_database_failure_mid_action_applies_nothing_and_says_so(
    owner_client, people, monkeypatch
):
    from django.db import DatabaseError

    import mycustomers.services as services

    def explode(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "log_activity", explode)
    response = owner_client.post(reverse("customers:block"), {"scope": "all"}, follow=True)
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()
    assert not Customer.objects.blocked().exists()
    assert Customer.objects.filter(status=CustomerStatus.ACTIVE).count() == 5


def test_every_action_page_needs_login(client):
    for name in ("send_mail", "block", "unblock", "delete", "restore", "assign", "deleted"):
        response = client.get(reverse(f"customers:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response.url
