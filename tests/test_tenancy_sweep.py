"""Walk every URL pattern with another performer's ids: always 404 (or 405 for a method the
view does not take), never their data, and nothing changes in the database.

Patterns are read from the URLconf, so a new view is swept automatically; a new URL keyword
must be added to ``foreign_ids`` below, or the sweep fails and says so.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from contacts.models import Activity, Feedback, Mail, Note, Offer
from contacts.types import ContactType
from lists.models import CustomerList, Membership, SmartList
from mycustomers.models import Customer, MassAction, SavedView
from tests.factories import add_event

pytestmark = pytest.mark.django_db

# Patterns that are not tenant pages (admin has its own staff-only tests; auth pages hold no ids).
SKIPPED_NAMESPACES = {"admin"}
# Logging out would end the sweep's session half-way; it takes no ids anyway. A password-reset
# link carries a user id and a token, not a tenant's row (tests/test_auth.py).
SKIPPED_NAMES = {"logout", "password_reset_confirm"}


def tenant_patterns() -> list[tuple[str, list[str]]]:
    """(url name, keyword names) for every named pattern outside SKIPPED_NAMESPACES."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_NAMES:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append((name, list(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return sorted(found)


@pytest.fixture
def foreign(colleague):
    """A colleague's customer with an event, a note, an offer, feedback, a list and a mail."""
    customer = add_event(
        colleague, "shared-member", ContactType.CALL_RECEIVED, amount=10, ago=timedelta(days=3)
    )
    Customer.objects.filter(pk=customer.pk).update(nickname="SecretNick")
    customer.refresh_from_db()
    event = customer.events.get()
    note = Note.objects.create(performer=colleague, customer=customer, body="private")
    offer = Offer.objects.create(performer=colleague, customer=customer, value=5)
    feedback = Feedback.objects.create(performer=colleague, customer=customer, rating=5)
    customer_list = CustomerList.objects.create(performer=colleague, name="Theirs")
    Membership.objects.create(performer=colleague, customer=customer, customer_list=customer_list)
    mail = Mail.objects.create(performer=colleague, subject="s", body="b")
    mass_action = MassAction.objects.create(
        performer=colleague, kind=MassAction.Kind.BLOCK, customer_ids=[customer.pk], total=1
    )
    return {
        "smart_list": SmartList.objects.create(
            performer=colleague, name="Their smart", rules="earnings_min=1"
        ),
        "saved_view": SavedView.objects.create(performer=colleague, name="Their view", query="q=s"),
        "mass_action": mass_action,
        "customer": customer,
        "event": event,
        "note": note,
        "offer": offer,
        "feedback": feedback,
        "list": customer_list,
        "mail": mail,
    }


def foreign_ids(url_name: str, keywords: list[str], foreign) -> dict[str, int]:
    by_keyword = {
        "event_pk": foreign["event"].pk,
        "note_pk": foreign["note"].pk,
        "offer_pk": foreign["offer"].pk,
        "list_pk": foreign["list"].pk,
        "mail_pk": foreign["mail"].pk,
        "customer_pk": foreign["customer"].pk,
    }
    # "pk" is the page's own object: a smart list or a list on list pages, a saved view on
    # its pages, a background mass action on its Stop / Dismiss, a customer elsewhere.
    if url_name.startswith("lists:smart_"):
        by_keyword["pk"] = foreign["smart_list"].pk
    elif url_name.startswith("lists:"):
        by_keyword["pk"] = foreign["list"].pk
    elif url_name.endswith("_view"):
        by_keyword["pk"] = foreign["saved_view"].pk
    elif url_name.endswith("_background"):
        by_keyword["pk"] = foreign["mass_action"].pk
    else:
        by_keyword["pk"] = foreign["customer"].pk
    unknown = [k for k in keywords if k not in by_keyword]
    assert not unknown, f"{url_name}: add {unknown} to foreign_ids() in this test"
    return {k: by_keyword[k] for k in keywords}


def snapshot(performer) -> dict[str, list]:
    """Everything the colleague owns (the owner's own pages may change the owner's data)."""
    models = [Customer, Note, Offer, Feedback, CustomerList, Membership, Mail, Activity, MassAction]
    models += [SmartList, SavedView]
    return {
        m._meta.label: sorted(map(str, m.objects.filter(performer=performer).values_list()))
        for m in models
    } | {"events": apps.get_model("contacts", "ContactEvent").objects.count()}


def test_the_sweep_covers_the_pages_that_take_ids():
    with_ids = [name for name, keywords in tenant_patterns() if keywords]
    assert "customers:detail" in with_ids


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_performers_ids_give_404_and_change_nothing(owner_client, foreign, method):
    swept = 0
    before = snapshot(foreign["customer"].performer)
    for url_name, keywords in tenant_patterns():
        if not keywords:
            continue
        url = reverse(url_name, kwargs=foreign_ids(url_name, keywords, foreign))
        response = getattr(owner_client, method)(url, {"name": "x", "body": "x", "nickname": "x"})
        assert response.status_code in {404, 405}, (
            f"{method.upper()} {url} → {response.status_code}"
        )
        swept += 1
    assert snapshot(foreign["customer"].performer) == before
    # detail, history, purchase, nickname, follow-up, lists, notes, offers, list pages, …
    assert swept >= 12, swept


@pytest.mark.parametrize("method", ["get", "post"])
def test_id_taking_forms_reject_another_performers_ids(owner_client, foreign, method):
    """Pages without ids in the path that take ids in the query or form (selections, list
    filters, lookups) must not reveal or touch the colleague's rows either."""
    before = snapshot(foreign["customer"].performer)
    customer, customer_list = foreign["customer"], foreign["list"]
    for url_name, keywords in tenant_patterns():
        if keywords:
            continue
        url = reverse(url_name)
        data = {
            "ids": [customer.pk],
            "list": customer_list.pk,
            "lists": [customer_list.pk],
            "not_list": customer_list.pk,
            "smart": foreign["smart_list"].pk,
            "view": foreign["saved_view"].pk,
            "member": customer.member_name,
            "q": customer.member_name,
            "subject": "s",
            "body": "b",
            "name": "x",
        }
        response = getattr(owner_client, method)(url, data)
        assert response.status_code < 500, f"{method.upper()} {url} → {response.status_code}"
        # The search terms may be echoed back; the colleague's row must not be shown.
        leaked = any(
            secret in response.content for secret in (b"SecretNick", b"Their smart", b"Their view")
        ) or (reverse("customers:detail", args=[customer.pk]).encode() in response.content)
        assert not leaked, f"{method.upper()} {url} leaked a colleague's customer"
    assert snapshot(foreign["customer"].performer) == before
