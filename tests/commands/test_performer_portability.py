"""export_performer / import_performer: one performer's data out and back in, identical; only
that performer's rows; and any bad file refused with its line named and nothing written."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from contacts import rhythm
from contacts.mail import send_mail
from contacts.models import Activity, ActivityCustomer, Feedback, MailDelivery, Note
from contacts.notes import add_note
from contacts.offers import send_offer
from contacts.reconcile import find_drift
from contacts.types import ContactType
from lists.models import CustomerList, SmartList
from lists.services import create_list, create_smart_list, set_customer_lists
from mycustomers.models import Customer, MassAction, Member, Performer, SavedView
from mycustomers.portability.exporting import export_performer
from mycustomers.portability.format import LINE_TYPES, NOT_EXPORTED, content_digest
from mycustomers.portability.importing import import_performer
from mycustomers.services import (
    block_customers,
    delete_customers,
    set_follow_up,
    set_nickname,
)
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.PerformerFactory's


@pytest.fixture
def full_owner(owner, colleague):
    """The owner with a row of every line type; the colleague shares a member and has data
    of their own."""
    owner.time_zone, owner.columns, owner.email = (
        "Europe/Berlin",
        ["customer", "earnings"],
        "o@x.io",
    )
    owner.is_staff = True
    owner.save()
    for days, amount in ((60, 20), (40, 15), (20, 30), (3, 10)):
        alice = add_event(
            owner, "alice", ago=timedelta(days=days), amount=amount, reference=f"A{days}"
        )
    bob = make_customer(owner, "bob", summary="first call")
    carol = add_event(owner, "carol", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    dave = make_customer(owner, "dave")
    shared = make_customer(owner, "shared")
    set_nickname(performer=owner, customer=alice, nickname="Al ✨")
    set_follow_up(performer=owner, customer=bob, follow_up="called")
    vip, later = (create_list(performer=owner, name=n) for n in ("VIP", "Later"))
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=alice.pk), lists=[vip, later]
    )
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(pk=shared.pk), lists=[vip]
    )
    smart = create_smart_list(
        performer=owner, name="Spenders", rules=f"earnings_min=5&not_list={later.pk}"
    )
    SavedView.objects.create(
        performer=owner,
        name="Mine",
        query=f"list={vip.pk}&sort=-earnings",
        columns=["earnings"],
        is_default=True,
    )
    SavedView.objects.create(performer=owner, name="Smart", query=f"list={smart.key}&per_page=50")
    send_mail(
        performer=owner,
        customers=Customer.objects.filter(pk__in=[alice.pk, bob.pk]),
        subject="Hi",
        body="Hello there",
    )
    # A delivery whose event was removed (remove_events): written as a delivery line.
    MailDelivery.objects.filter(customer=bob).update(event=None)
    add_note(performer=owner, customer=alice, body="Likes tea", token=uuid.uuid4())
    send_offer(performer=owner, customer=alice, value=Decimal("5.50"), message="For you")
    Feedback.objects.create(performer=owner, customer=carol, rating=4, comment="nice")
    block_customers(performer=owner, customers=Customer.objects.filter(pk=bob.pk))
    delete_customers(performer=owner, customers=Customer.objects.filter(pk=dave.pk))
    rhythm.refresh(owner)
    Member.objects.filter(name="alice").update(photo_url="https://example.com/a.png")

    add_event(colleague, "shared", ago=timedelta(days=5), amount=99, reference="COLL-1")
    theirs = create_list(performer=colleague, name="VIP")
    set_customer_lists(
        performer=colleague, customers=Customer.objects.filter(performer=colleague), lists=[theirs]
    )
    add_note(
        performer=colleague,
        customer=Customer.objects.get(performer=colleague),
        body="colleague secret",
    )
    assert find_drift([owner.pk]) == []
    return owner


def assert_references_hold() -> None:
    """Foreign keys are checked at commit, which a test never reaches: check them now."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def exported(username: str) -> bytes:
    out = BytesIO()
    export_performer(username, out)
    return out.getvalue()


def digest(data: bytes) -> str:
    return content_digest(BytesIO(data))


def lines_of(data: bytes) -> list[dict]:
    return [json.loads(text) for text in data.decode().splitlines()]


def as_file(records: list) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records
    )


# -- round trips ---------------------------------------------------------------------------


def test_a_round_trip_under_another_name_is_identical(full_owner):
    first = exported("owner")

    result = import_performer(BytesIO(first), as_name="copy")
    second = exported("copy")

    assert digest(second) == digest(first)
    assert second != first  # other ids and username: the digest ignores exactly those
    assert all(result.lines[t.name] for t in LINE_TYPES), result.lines  # every type covered
    assert (result.recounted, result.refreshed) == (0, 0)
    assert_references_hold()
    copy = Performer.objects.get(username="copy")
    assert find_drift([copy.pk]) == [] and rhythm.find_drift(copy) == []
    # The views and the smart list name the copy's own lists, not the owner's.
    vip, later = (CustomerList.objects.get(performer=copy, name=n).pk for n in ("VIP", "Later"))
    smart = SmartList.objects.get(performer=copy)
    assert smart.rules == f"earnings_min=5&not_list={later}"
    assert SavedView.objects.get(performer=copy, name="Mine").query == f"list={vip}&sort=-earnings"
    assert (
        SavedView.objects.get(performer=copy, name="Smart").query == f"list=s{smart.pk}&per_page=50"
    )
    alice = Customer.objects.get(performer=copy, member_name="alice")
    assert alice.list_names == "Later, VIP" and alice.segment and alice.usual_gap is not None


def test_the_digest_sees_a_change_of_content(full_owner):
    first = exported("owner")
    Note.objects.filter(performer=full_owner).update(body="Likes coffee")

    assert digest(exported("owner")) != digest(first)


def test_small_batches_give_the_same_round_trip(full_owner):
    """Every batch boundary: ids taken from the sequences, members and deliveries per batch."""
    first = exported("owner")
    Performer.objects.filter(pk=full_owner.pk).update(username="gone")  # the name is free

    result = import_performer(BytesIO(first), batch_size=2)

    assert (result.performer, result.replaced) == ("owner", False)
    assert digest(exported("owner")) == digest(first)
    assert_references_hold()


def test_replace_restores_one_performer_and_leaves_the_other_alone(full_owner, colleague, tmp_path):
    path = tmp_path / "owner.jsonl.gz"
    call_command("export_performer", "owner", str(path), stdout=BytesIOText())
    saved, theirs = digest(gzip.decompress(path.read_bytes())), digest(exported("colleague"))
    # The owner goes on working after the backup...
    alice = Customer.objects.get(performer=full_owner, member_name="alice")
    add_note(performer=full_owner, customer=alice, body="after the export")
    add_event(full_owner, "erin", ago=timedelta(days=1), amount=3)
    CustomerList.objects.filter(performer=full_owner, name="Later").delete()
    full_owner.refresh_from_db()
    version = full_owner.data_version

    out = BytesIOText()
    call_command("import_performer", str(path), "--replace", stdout=out)

    assert "Replaced the data of owner" in out.getvalue()
    assert digest(exported("owner")) == saved
    assert digest(exported("colleague")) == theirs
    full_owner.refresh_from_db()
    assert full_owner.data_version > version
    assert full_owner.check_password(PASSWORD)  # the account row, and its password, stay
    assert not Customer.objects.filter(performer=full_owner, member_name="erin").exists()


def test_a_new_performer_gets_no_password_and_no_staff_rights(full_owner):
    import_performer(BytesIO(exported("owner")), as_name="copy")

    copy = Performer.objects.get(username="copy")
    assert not copy.has_usable_password()
    assert (copy.is_staff, copy.is_superuser) == (False, False)
    assert (copy.time_zone, copy.columns, copy.email) == (
        "Europe/Berlin",
        ["customer", "earnings"],
        "o@x.io",
    )


def test_stored_counters_that_differ_from_the_events_are_recounted(full_owner):
    records = lines_of(exported("owner"))
    for record in records:
        if record.get("type") == "customer" and record["member"] == "alice":
            record["live_calls"] += 5
            record["list_names"] = "Wrong"
            record["paid_days"] = 0

    result = import_performer(BytesIO(as_file(records)), as_name="copy")

    copy = Performer.objects.get(username="copy")
    assert result.recounted == 1 and result.refreshed >= 1
    assert find_drift([copy.pk]) == [] and rhythm.find_drift(copy) == []
    alice = Customer.objects.get(performer=copy, member_name="alice")
    assert (alice.live_calls, alice.list_names, alice.paid_days) == (4, "Later, VIP", 4)


# -- tenancy -------------------------------------------------------------------------------


def test_the_export_holds_the_performers_rows_and_no_one_elses(full_owner, colleague):
    data = exported("owner")
    counts = {}
    for record in lines_of(data)[1:-1]:
        counts[record["type"]] = counts.get(record["type"], 0) + 1

    owned = {
        t.name: t.model.objects.filter(performer=full_owner).count()
        for t in LINE_TYPES
        if t.model is not Performer
    }
    owned["delivery"] = MailDelivery.objects.filter(performer=full_owner, event=None).count()
    # A shared activity entry (a mass action's) is a line for each of its customers.
    shared = ActivityCustomer.objects.filter(activity__performer=full_owner).count()
    assert shared
    owned["activity"] = (
        shared + Activity.objects.filter(performer=full_owner, customer__isnull=False).count()
    )
    assert counts == {"performer": 1, **owned}
    assert b"colleague secret" not in data and b"COLL-1" not in data
    assert lines_of(data)[-1]["lines"] == counts


def test_every_model_with_a_performer_or_customer_key_is_exported_or_said_not_to_be():
    exported_models = {t.model for t in LINE_TYPES}
    owned = [
        model
        for model in apps.get_models()
        if model._meta.app_label in ("mycustomers", "contacts", "lists")
        and {f.related_model for f in model._meta.concrete_fields if f.is_relation}
        & {Performer, Customer}
    ]
    missing = [
        m._meta.label
        for m in owned
        if m not in exported_models and m._meta.label not in NOT_EXPORTED
    ]
    assert owned and not missing


# -- refusals ------------------------------------------------------------------------------


class BytesIOText:
    """A stdout for call_command."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self.parts)


def row_counts() -> dict[str, int]:
    models = {t.model for t in LINE_TYPES} | {Member, Activity}
    return {m._meta.label: m.objects.count() for m in models}


def refused(path: Path, *args: str) -> str:
    before = row_counts()
    with pytest.raises(CommandError) as error:
        call_command("import_performer", str(path), *args, stdout=BytesIOText())
    assert error.value.returncode == 1
    assert row_counts() == before
    assert not Performer.objects.filter(username="copy").exists()
    return str(error.value)


def test_an_existing_name_is_refused_unless_replaced_or_renamed(full_owner, tmp_path):
    path = tmp_path / "owner.jsonl"
    path.write_bytes(exported("owner"))

    message = refused(path)

    assert "A performer named 'owner' already exists" in message
    assert "--replace" in message and "--as NEWNAME" in message
    call_command("import_performer", str(path), "--as", "copy", stdout=BytesIOText())
    assert Customer.objects.filter(performer__username="copy").count() == 5


def test_replace_waits_for_a_running_mass_action(full_owner, tmp_path):
    path = tmp_path / "owner.jsonl"
    path.write_bytes(exported("owner"))
    MassAction.objects.create(performer=full_owner, kind=MassAction.Kind.BLOCK)

    assert "has a mass action running" in refused(path, "--replace")


def test_export_of_an_unknown_performer_is_refused(db, tmp_path):
    path = tmp_path / "nobody.jsonl"
    with pytest.raises(CommandError, match="No performer named 'nobody'") as error:
        call_command("export_performer", "nobody", str(path))
    assert error.value.returncode == 1
    assert not path.exists() and not Path(f"{path}.partial").exists()


def test_unreadable_files_and_bad_names_are_refused(full_owner, tmp_path):
    assert "cannot read" in refused(tmp_path / "missing.jsonl")
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(exported("owner"))[:-40])
    assert "cannot read" in refused(broken, "--as", "copy")
    good = tmp_path / "owner.jsonl"
    good.write_bytes(exported("owner"))
    assert "--as 'no spaces allowed'" in refused(good, "--as", "no spaces allowed")


def _lines(records: list, kind: str) -> list[dict]:
    return [r for r in records if isinstance(r, dict) and r.get("type") == kind]


def _index(records: list, kind: str) -> int:
    return next(i for i, r in enumerate(records) if isinstance(r, dict) and r.get("type") == kind)


def _set(kind: str | None, key: str, value):
    """The first line of ``kind`` (the header: None) gets ``key``: ``value``."""

    def mutate(records: list) -> None:
        (records[0] if kind is None else _lines(records, kind)[0])[key] = value

    return mutate


def _raw(kind: str, raw: bytes):
    """The first line of ``kind`` (or the header: ``kind`` None) becomes ``raw``."""

    def mutate(records: list) -> None:
        records[0 if kind is None else _index(records, kind)] = raw

    return mutate


def _drop_key(kind: str, key: str):
    return lambda records: _lines(records, kind)[0].pop(key)


def _duplicate(kind: str, key: str):
    """The second line of ``kind`` takes the first's ``key``."""

    def mutate(records: list) -> None:
        first, second = _lines(records, kind)[:2]
        second[key] = first[key]

    return mutate


def _cut_in_half(records: list) -> None:
    """The file as a copy interrupted in the middle of the first event line leaves it."""
    at = _index(records, "event")
    del records[at + 1 :]
    records[at] = json.dumps(records[at]).encode()[:40]


def _note_after_activity(records: list) -> None:
    note = records.pop(_index(records, "note"))
    records.insert(len(records) - 1, note)


def _mail_event(records: list) -> dict:
    return next(r for r in _lines(records, "event") if r["mail"] is not None)


def _surrogate(records: list) -> None:
    """A note body with a lone surrogate, which JSON can escape but UTF-8 cannot hold."""
    at = _index(records, "note")
    records[at]["body"] = "@@"
    records[at] = json.dumps(records[at]).replace("@@", "\\ud800").encode()


def _event_mail_outside(records: list) -> None:
    _mail_event(records)["mail"] = 999_999


HOSTILE = [
    pytest.param(lambda r: r.clear(), r"^Nothing imported: line 1: the file is empty", id="empty"),
    pytest.param(_raw(None, b"hello"), r"line 1: malformed JSON", id="header-not-json"),
    pytest.param(
        _set(None, "format", "csv"), r"line 1: not a My Customers performer file", id="format"
    ),
    pytest.param(
        _set(None, "version", 2), r"line 1: format version 2 is not supported", id="version"
    ),
    pytest.param(_set(None, "version", "1"), r"line 1: format version '1'", id="version-text"),
    pytest.param(lambda r: r.pop(), r"ends without its end line: it is truncated", id="no-end"),
    pytest.param(_cut_in_half, r"line \d+: malformed JSON", id="cut-mid-line"),
    pytest.param(_raw("note", b'{"type": "note", '), r"line \d+: malformed JSON", id="malformed"),
    pytest.param(_raw("note", b"[1, 2]"), r"line \d+: expected a JSON object", id="not-object"),
    pytest.param(_raw("note", b"[" * 100_000), r"line \d+: malformed JSON", id="deep-nesting"),
    pytest.param(_raw("note", b'{"type": "robot"}'), r"unknown line type 'robot'", id="type"),
    pytest.param(_raw("note", b'{"body": "x"}'), r"unknown line type None", id="no-type"),
    pytest.param(
        _raw("note", b'{"type": "note", "body": "\xff"}'),
        r"line \d+: not valid UTF-8",
        id="not-utf8",
    ),
    pytest.param(
        _raw("note", b'{"type": "note", "body": "' + b"x" * 1_000_001 + b'"}'),
        r"line \d+: longer than 1,000,000 bytes",
        id="huge-line",
    ),
    pytest.param(
        _set("customer", "live_calls", "3"),
        r"customer live_calls must be a whole number",
        id="int-as-text",
    ),
    pytest.param(
        _set("customer", "live_calls", 10**30),
        r"customer live_calls must be at most 2147483647",
        id="int-huge",
    ),
    pytest.param(
        _set("customer", "live_calls", -1),
        r"customer live_calls must be at least 0",
        id="int-negative",
    ),
    pytest.param(
        _set("customer", "live_calls", True),
        r"customer live_calls must be a whole number",
        id="bool-as-int",
    ),
    pytest.param(
        _set("customer", "affiliate_referral", 1),
        r"affiliate_referral must be true or false",
        id="int-as-bool",
    ),
    pytest.param(
        _set("customer", "earnings", 3.5),
        r"earnings must be a decimal number written as text",
        id="float",
    ),
    pytest.param(
        _set("customer", "earnings", "1e3"),
        r"earnings '1e3' is not a decimal number",
        id="exponent",
    ),
    pytest.param(
        _set("customer", "earnings", "12.345"),
        r"earnings '12.345' has more than 10 digits before the point or 2 after it",
        id="decimals",
    ),
    pytest.param(
        _set("customer", "status", "vip"), r"customer status 'vip' is not one of", id="choice"
    ),
    pytest.param(_set("customer", "status", None), r"customer status must not be null", id="null"),
    pytest.param(
        _set("customer", "nickname", "n" * 61),
        r"nickname is longer than 60 characters",
        id="too-long",
    ),
    pytest.param(
        _set("customer", "member", ""), r"customer member must not be empty", id="no-member"
    ),
    pytest.param(
        _set("customer", "last_paid_day", "2026-02-30"),
        r"last_paid_day '2026-02-30' is not a date",
        id="bad-day",
    ),
    pytest.param(
        _set("customer", "created_at", "2026-13-45T00:00:00+00:00"),
        r"created_at .* is not an ISO 8601",
        id="bad-date",
    ),
    pytest.param(
        _set("customer", "created_at", "٢٠٢٦-01-01T00:00:00+00:00"),
        r"created_at .* is not an ISO 8601",
        id="non-ascii-digits-date",
    ),
    pytest.param(
        _set("customer", "earnings", "١٢.50"),
        r"earnings .* is not a decimal number",
        id="non-ascii-digits-decimal",
    ),
    pytest.param(
        _set("customer", "last_paid_day", "２０２６-01-01"),
        r"last_paid_day .* is not a date",
        id="fullwidth-digits-day",
    ),
    pytest.param(
        _set("customer", "created_at", "2026-01-01T00:00:00"),
        r"created_at .* needs a UTC offset",
        id="naive",
    ),
    pytest.param(
        _set("event", "occurred_at", "1900-01-01T00:00:00+00:00"),
        r"event: occurred_at 1900-01-01.* outside the accepted range",
        id="event-too-old",
    ),
    pytest.param(
        _set("event", "occurred_at", "9999-12-31T23:59:59+00:00"),
        r"outside the accepted range",
        id="event-far-future",
    ),
    pytest.param(
        _set("event", "amount", "-1.00"),
        r"event: amount must not be negative",
        id="negative-amount",
    ),
    pytest.param(
        _set("event", "quantity", 0), r"event: quantity must be at least 1", id="quantity-0"
    ),
    pytest.param(
        _set("event", "contact_type", "hug"),
        r"event contact_type 'hug' is not one of",
        id="contact-type",
    ),
    pytest.param(
        _set("feedback", "rating", 6),
        r"feedback rating must be at most 5",
        id="rating",
    ),
    pytest.param(
        _set("offer", "value", "0.00"), r"offer: value must be more than 0", id="offer-zero"
    ),
    pytest.param(
        _set("note", "token", "not-a-uuid"), r"note token 'not-a-uuid' is not a UUID", id="uuid"
    ),
    pytest.param(_set("note", "body", "a\x00b"), r"note body contains a NUL character", id="nul"),
    pytest.param(_surrogate, r"note body is not valid Unicode", id="surrogate"),
    pytest.param(
        _set("saved_view", "columns", "earnings"),
        r"saved_view columns must be a list",
        id="not-a-list",
    ),
    pytest.param(
        _set("saved_view", "columns", [1]), r"saved_view columns must be text", id="list-of-ints"
    ),
    pytest.param(
        _set("performer", "username", "bad name!"),
        r"performer username Enter a valid username",
        id="username",
    ),
    pytest.param(
        _set("event", "customer", 999_999),
        r"customer 999999 is the id of no customer line above",
        id="ref-outside",
    ),
    pytest.param(
        _set("event", "customer", "1"),
        r"customer '1' is the id of no customer line",
        id="ref-as-text",
    ),
    pytest.param(
        _set("membership", "list", 999_999),
        r"list 999999 is the id of no list line",
        id="list-outside",
    ),
    pytest.param(_event_mail_outside, r"mail 999999 is the id of no mail line", id="mail-outside"),
    pytest.param(
        _set("customer", "id", "1"), r"customer id must be a whole number above 0", id="id-as-text"
    ),
    pytest.param(
        _set("customer", "id", 0), r"customer id must be a whole number above 0", id="id-zero"
    ),
    pytest.param(
        _duplicate("customer", "id"), r"a second customer line with id", id="duplicate-id"
    ),
    pytest.param(
        _duplicate("customer", "member"),
        r"line \d+: duplicate key value violates unique constraint \"customer_unique_member\"",
        id="duplicate-member",
    ),
    pytest.param(
        _duplicate("list", "name"),
        r"line \d+: duplicate key value violates unique constraint \"list_unique_name_ci\"",
        id="duplicate-list",
    ),
    pytest.param(
        _drop_key("customer", "nickname"), r"a customer line lacks nickname", id="missing-key"
    ),
    pytest.param(
        _set("performer", "password", "pbkdf2$x"),
        r"has unknown key\(s\) 'password'",
        id="unknown-key",
    ),
    pytest.param(
        _set("performer", "is_superuser", True),
        r"has unknown key\(s\) 'is_superuser'",
        id="superuser",
    ),
    pytest.param(_note_after_activity, r"a note line after the activity lines", id="out-of-order"),
    pytest.param(
        lambda r: r.insert(1, r[2]),
        r"line 2: the performer line must come first",
        id="no-performer-first",
    ),
    pytest.param(
        lambda r: r.insert(2, r[1]),
        r"line 3: a performer line after the performer lines",
        id="two-performers",
    ),
    pytest.param(lambda r: r.append(r[-2]), r"a line after the end line", id="after-end"),
    pytest.param(
        lambda r: r[-1]["lines"].update(note=5),
        r"the end line counts 5 note lines, but the file holds 1",
        id="end-count",
    ),
    pytest.param(lambda r: r[-1].update(lines=[]), r"the end line must be", id="end-shape"),
]


@pytest.mark.parametrize(("mutate", "expected"), HOSTILE)
def test_a_hostile_file_is_refused_with_a_reason_and_nothing_is_written(
    full_owner, tmp_path, mutate, expected
):
    records = lines_of(exported("owner"))
    mutate(records)
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(as_file(records))

    message = refused(path, "--as", "copy")

    assert re.search(expected, message), message
    assert "Traceback" not in message


def test_a_duplicate_event_reference_names_the_second_events_line(full_owner, tmp_path):
    records = lines_of(exported("owner"))
    events = [i for i, r in enumerate(records) if r.get("type") == "event" and r["reference"]]
    records[events[1]]["reference"] = records[events[0]]["reference"]
    path = tmp_path / "twice.jsonl"
    path.write_bytes(as_file(records))

    message = refused(path, "--as", "copy")

    assert (
        f"line {events[1] + 1}: duplicate key value" in message
        and "event_unique_reference" in message
    )
