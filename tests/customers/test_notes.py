"""Notes on a customer (SPEC D6): add, edit, delete; validated; logged; tenant-scoped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, ActivityVerb, Note
from contacts.notes import add_note
from mycustomers.errors import ActionError
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(owner):
    return make_customer(owner, "alice")


@pytest.fixture
def note(owner, alice):
    return add_note(performer=owner, customer=alice, body="Likes tarot")


def add_url(customer):
    return reverse("customers:add_note", args=[customer.pk])


def edit_url(note):
    return reverse("customers:edit_note", args=[note.customer_id, note.pk])


def delete_url(note):
    return reverse("customers:delete_note", args=[note.customer_id, note.pk])


def verbs(customer):
    return list(
        Activity.objects.filter(customer=customer)
        .order_by("created_at", "id")
        .values_list("verb", "detail")
    )


def test_adding_a_note_saves_it_logs_it_and_goes_back_to_the_notes(owner_client, alice):
    response = owner_client.post(add_url(alice), {"body": "  Calls on Sundays \n"})
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#notes"
    assert list(Note.objects.filter(customer=alice).values_list("body", flat=True)) == [
        "Calls on Sundays"
    ]
    assert verbs(alice) == [(ActivityVerb.NOTE_ADDED, "“Calls on Sundays”")]
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert "Calls on Sundays" in page
    assert "Note added." in page


def section(page: str, anchor: str) -> str:
    """The HTML of the detail page's section with that id."""
    return re.search(rf'<section class="card" id="{anchor}".*?</section>', page, re.S)[0]


def test_the_confirmation_shows_in_the_section_the_browser_returns_to(owner_client, alice):
    # The redirect scrolls to #notes: the message is there, not at the page top (out of view).
    page = owner_client.post(add_url(alice), {"body": "Calls on Sundays"}, follow=True)
    page = page.content.decode()
    assert page.count("Note added.") == 1
    assert '<div role="status"><ul class="messages section-messages">' in section(page, "notes")
    assert '<li class="message message-success">Note added.</li>' in section(page, "notes")
    # A message of no section stays at the top; each is shown once.
    owner_client.post(reverse("customers:nickname", args=[alice.pk]), {"nickname": "Al"})
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert page.count("Nickname set to") == 1
    assert page.index("Nickname set to") < page.index('class="breadcrumbs"')
    assert "Nickname set to" not in owner_client.get(alice.get_absolute_url()).content.decode()


def test_the_add_form_submitted_twice_adds_one_note(owner_client, alice):
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)[1]
    form = {"body": "Likes jazz", "token": token}
    owner_client.post(add_url(alice), form)
    again = owner_client.post(add_url(alice), form, follow=True)
    assert "This note was added already: it is not added twice." in again.content.decode()
    assert Note.objects.filter(customer=alice).count() == 1
    assert verbs(alice) == [(ActivityVerb.NOTE_ADDED, "“Likes jazz”")]
    # The page after it has a new token: the next note is added.
    assert token not in again.content.decode()


def test_a_note_keeps_its_line_breaks_and_is_escaped(owner_client, alice):
    owner_client.post(add_url(alice), {"body": "one\ntwo <script>alert(1)</script>"})
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert "one<br>two &lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write something before saving the note."),
        ("   \n\t ", "Write something before saving the note."),
        ("x" * 100_000, "Notes can be at most 5,000 characters (this one has 100,000)."),
        ("y" * 5001, "Notes can be at most 5,000 characters (this one has 5,001)."),
    ],
)
def test_an_empty_or_overlong_note_is_refused_with_a_field_error(owner_client, alice, body, error):
    response = owner_client.post(add_url(alice), {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert 'id="id_body_error"' in page
    assert not Note.objects.exists()
    assert not Activity.objects.filter(customer=alice).exists()


def test_a_note_of_exactly_5000_characters_is_accepted(owner_client, alice):
    assert owner_client.post(add_url(alice), {"body": "z" * 5000}).status_code == 302
    assert len(Note.objects.get().body) == 5000


def test_the_service_refuses_an_empty_note(owner, alice):
    with pytest.raises(ActionError):
        add_note(performer=owner, customer=alice, body=" ")


def test_the_edit_page_shows_the_note_in_a_form(owner_client, note):
    response = owner_client.get(edit_url(note))
    assert response.status_code == 200
    assert "Likes tarot</textarea>" in response.content.decode()


def test_editing_a_note_saves_it_and_logs_it(owner_client, alice, note):
    an_hour_ago = note.created_at - timedelta(hours=1)
    Note.objects.filter(pk=note.pk).update(created_at=an_hour_ago, updated_at=an_hour_ago)
    assert "edited" not in owner_client.get(alice.get_absolute_url()).content.decode()
    response = owner_client.post(edit_url(note), {"body": "Likes tarot and runes"})
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#notes"
    note.refresh_from_db()
    assert note.body == "Likes tarot and runes"
    assert note.updated_at > note.created_at
    assert verbs(alice)[-1] == (ActivityVerb.NOTE_EDITED, "“Likes tarot and runes”")
    assert "edited" in owner_client.get(alice.get_absolute_url()).content.decode()


def test_saving_an_unchanged_note_logs_nothing(owner_client, alice, note):
    owner_client.post(edit_url(note), {"body": "Likes tarot"})
    assert [verb for verb, _ in verbs(alice)] == [ActivityVerb.NOTE_ADDED]


@pytest.mark.parametrize("body", ["", "x" * 100_000])
def test_a_bad_edit_rerenders_the_form_and_keeps_the_note(owner_client, note, body):
    response = owner_client.post(edit_url(note), {"body": body})
    assert response.status_code == 400
    assert "Edit note on alice" in response.content.decode()
    note.refresh_from_db()
    assert note.body == "Likes tarot"


def test_deleting_a_note_removes_it_and_logs_it(owner_client, alice, note):
    response = owner_client.post(delete_url(note))
    assert response.status_code == 302
    assert response.url == alice.get_absolute_url() + "#notes"
    assert not Note.objects.exists()
    assert verbs(alice)[-1] == (ActivityVerb.NOTE_DELETED, "“Likes tarot”")


def test_deleting_is_post_only(owner_client, note):
    assert owner_client.get(delete_url(note)).status_code == 405
    assert Note.objects.filter(pk=note.pk).exists()


def test_notes_show_newest_first_with_a_timestamp(owner_client, owner, alice, note):
    add_note(performer=owner, customer=alice, body="Newer")
    page = owner_client.get(alice.get_absolute_url()).content.decode()
    assert page.index("Newer") < page.index("Likes tarot")
    assert f'<time datetime="{note.created_at.isoformat()}' in page


# --- Tenancy ----------------------------------------------------------------------------


@pytest.fixture
def their_note(colleague):
    theirs = make_customer(colleague, "alice")
    return add_note(performer=colleague, customer=theirs, body="Private to them")


def test_another_performers_note_is_a_404_on_every_verb(owner_client, their_note):
    assert owner_client.get(edit_url(their_note)).status_code == 404
    assert owner_client.post(edit_url(their_note), {"body": "mine"}).status_code == 404
    assert owner_client.post(delete_url(their_note)).status_code == 404
    their_note.refresh_from_db()
    assert their_note.body == "Private to them"


def test_a_note_under_the_wrong_customer_is_a_404(owner_client, owner, note):
    bob = make_customer(owner, "bob")
    wrong = reverse("customers:edit_note", args=[bob.pk, note.pk])
    assert owner_client.get(wrong).status_code == 404
    assert owner_client.post(wrong, {"body": "moved"}).status_code == 404
    wrong_delete = reverse("customers:delete_note", args=[bob.pk, note.pk])
    assert owner_client.post(wrong_delete).status_code == 404
    note.refresh_from_db()
    assert note.body == "Likes tarot"


def test_adding_a_note_to_another_performers_customer_is_a_404(owner_client, colleague):
    theirs = make_customer(colleague, "carol")
    assert owner_client.post(add_url(theirs), {"body": "hi"}).status_code == 404
    assert not Note.objects.exists()


def test_their_notes_never_show_on_my_page_of_the_same_member(owner_client, owner, their_note):
    mine = make_customer(owner, "alice")
    assert "Private to them" not in owner_client.get(mine.get_absolute_url()).content.decode()


def test_the_same_note_again_soon_is_the_same_note(owner, owner_client, alice):
    # Back to the detail page gives a new form token, and the browser refills the note box.
    owner_client.post(add_url(alice), {"body": "Likes jazz"})
    again = owner_client.post(add_url(alice), {"body": " Likes jazz "}, follow=True)
    assert "This note was added already" in again.content.decode()
    assert Note.objects.filter(customer=alice).count() == 1
    # Another text, or the same text later, is a note of its own.
    owner_client.post(add_url(alice), {"body": "Likes blues"})
    Note.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    owner_client.post(add_url(alice), {"body": "Likes jazz"})
    assert Note.objects.filter(customer=alice).count() == 3
    # Another customer's same note is theirs.
    add_note(performer=owner, customer=make_customer(owner, "bob"), body="Likes jazz")
    assert Note.objects.count() == 4
