from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import ContactEvent
from contacts.reconcile import find_drift
from mycustomers.models import Customer, Performer

pytestmark = pytest.mark.django_db

HEADER = "performer,member,type,occurred_at,amount,quantity,reference,summary\n"


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_events", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    return write(tmp_path, "events.csv", header + "".join(f"{row}\n" for row in rows))


def jsonl_file(tmp_path: Path, *records: dict, name: str = "events.jsonl") -> Path:
    return write(tmp_path, name, "".join(json.dumps(r) + "\n" for r in records))


def test_it_imports_a_csv_file(owner, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,call_received,2025-03-01T10:00:00+00:00,25.50,,P-1,12 min",
        "owner,alice,chat,2025-03-02T10:00:00Z,3,12,P-2,",
        "owner,bob,mail_received,2025-03-03T09:30:00-05:00,,,,",
    )

    output = run(path)

    alice = Customer.objects.get(performer=owner, member_name="alice")
    assert (alice.live_calls, alice.chat_volleys, alice.earnings) == (1, 12, Decimal("28.50"))
    assert alice.last_contact_type == "chat"
    bob = Customer.objects.get(performer=owner, member_name="bob")
    assert bob.mail_received == 1 and bob.earnings == 0
    assert "3 rows read, 3 events inserted, 0 duplicates skipped" in output
    assert "rows/s" in output
    assert find_drift([owner.pk]) == []


def test_it_imports_json_lines(owner, colleague, tmp_path):
    path = jsonl_file(
        tmp_path,
        {"performer": "owner", "member": "alice", "type": "goody_bag",
         "occurred_at": "2025-03-01T10:00:00+02:00", "amount": 19.99, "quantity": 2},
        {"performer": "colleague", "member": "alice", "type": "call_missed",
         "occurred_at": "2025-03-01T11:00:00+00:00", "reference": "X-1", "summary": "busy"},
    )  # fmt: skip

    run(path)

    assert Customer.objects.get(performer=owner).goody_bags == 2
    assert Customer.objects.get(performer=owner).earnings == Decimal("19.99")
    assert Customer.objects.get(performer=colleague).has_missed_call is True


def test_a_numeric_json_reference_is_a_reference(owner, tmp_path):
    record = {"performer": "owner", "member": "alice", "type": "chat",
              "occurred_at": "2025-03-01T10:00:00Z", "reference": 12345}  # fmt: skip
    path = jsonl_file(tmp_path, record, record)

    output = run(path)

    assert ContactEvent.objects.get().reference == "12345"
    assert "1 duplicates skipped" in output


def test_it_recognises_json_lines_by_their_first_character(owner, tmp_path):
    record = {"performer": "owner", "member": "alice", "type": "chat",
              "occurred_at": "2025-03-01T10:00:00Z"}  # fmt: skip
    path = write(tmp_path, "export.txt", "\n" + json.dumps(record) + "\n")

    run(path)

    assert ContactEvent.objects.filter(performer=owner).count() == 1


def test_importing_the_same_file_twice_records_each_reference_once(owner, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,call_received,2025-03-01T10:00:00+00:00,10,,P-1,",
        "owner,bob,call_received,2025-03-01T11:00:00+00:00,20,,P-2,",
    )
    run(path)

    output = run(path)

    assert "2 rows read, 0 events inserted, 2 duplicates skipped" in output
    assert ContactEvent.objects.filter(performer=owner).count() == 2
    assert Customer.objects.get(performer=owner, member_name="alice").live_calls == 1


def test_a_reference_repeated_in_one_file_is_recorded_once(owner, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,call_received,2025-03-01T10:00:00+00:00,10,,P-1,first",
        "owner,alice,call_received,2025-03-01T11:00:00+00:00,10,,P-1,second",
    )

    output = run(path)

    assert "1 events inserted, 1 duplicates skipped" in output
    assert list(ContactEvent.objects.values_list("summary", flat=True)) == ["first"]


def test_the_same_reference_for_two_performers_is_two_events(owner, colleague, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,call_received,2025-03-01T10:00:00+00:00,10,,P-1,",
        "colleague,alice,call_received,2025-03-01T10:00:00+00:00,10,,P-1,",
    )
    run(path)
    assert ContactEvent.objects.count() == 2


def test_an_unknown_performer_is_a_bad_row_without_create_performers(owner, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,chat,2025-03-01T10:00:00+00:00,,,,",
        "stranger,alice,chat,2025-03-01T10:00:00+00:00,,,,",
    )
    with pytest.raises(CommandError, match=r"line 3: unknown performer 'stranger'"):
        run(path)
    assert not Performer.objects.filter(username="stranger").exists()


def test_create_performers_creates_accounts_that_cannot_log_in(tmp_path):
    path = csv_file(tmp_path, "newbie,alice,chat,2025-03-01T10:00:00+00:00,,,,")

    output = run(path, "--create-performers")

    newbie = Performer.objects.get(username="newbie")
    assert not newbie.has_usable_password()
    assert Customer.objects.get(performer=newbie).chat_volleys == 1
    assert "created 1 performer(s): newbie" in output


def test_create_performers_rejects_an_invalid_username(tmp_path):
    path = csv_file(tmp_path, "bad name!,alice,chat,2025-03-01T10:00:00+00:00,,,,")
    with pytest.raises(CommandError, match="line 2: performer 'bad name!' is not a valid"):
        run(path, "--create-performers")


GOOD = "owner,alice,call_received,2025-03-01T10:00:00+00:00,10,,,"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("owner,alice,call_dropped,2025-03-01T10:00:00+00:00,,,,", "unknown contact type"),
        ("owner,alice,chat,2025-03-01T10:00:00,,,,", "needs a UTC offset"),
        ("owner,alice,chat,2025-03-01,,,,", "needs a UTC offset"),
        ("owner,alice,chat,yesterday,,,,", "not an ISO 8601"),
        ("owner,alice,chat,,,,,", "occurred_at is required"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,12.3.4,,,", "not a decimal number"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,NaN,,,", "not a decimal number"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,-5,,,", "amount must be between 0"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,1.005,,,", "at most 2 decimals"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,,0,,", "quantity must be a whole number"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,,1.5,,", "quantity"),
        ("owner,,chat,2025-03-01T10:00:00Z,,,,", "member is required"),
        (",alice,chat,2025-03-01T10:00:00Z,,,,", "performer is required"),
        (f"owner,{'m' * 65},chat,2025-03-01T10:00:00Z,,,,", "member name must be 1–64"),
        (f"owner,alice,chat,2025-03-01T10:00:00Z,,,{'r' * 65},", "reference must be 1–64"),
        (f"owner,alice,chat,2025-03-01T10:00:00Z,,,,{'s' * 501}", "summary must be at most 500"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,,,", "7 fields, but the header has 8"),
        ("owner,al\x00ice,chat,2025-03-01T10:00:00Z,,,,", "NUL character"),
        ("ow\x00ner,alice,chat,2025-03-01T10:00:00Z,,,,", "NUL character"),
        ("owner,alice,chat,2025-03-01T10:00:00Z,,,,a\x00b", "NUL character"),
    ],
)
def test_a_bad_csv_row_is_reported_with_its_line_and_nothing_of_its_batch_is_applied(
    owner, tmp_path, bad_row, reason
):
    path = csv_file(tmp_path, GOOD, GOOD.replace("alice", "bob"), bad_row)

    with pytest.raises(CommandError) as error:
        run(path)

    first_line, *rest = str(error.value).splitlines()
    assert first_line.startswith("line 4: ")
    assert reason in first_line
    assert rest == ["Nothing was imported."]
    assert not ContactEvent.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("performer,member,occurred_at\n", "line 1: missing column(s) type"),
        ("performer,member,type,occurred_at,ammount\n", "line 1: unknown column(s) ammount"),
        ("performer,member,type,type,occurred_at\n", "line 1: duplicate column(s) type"),
    ],
)
def test_a_bad_header_is_reported_on_line_1(owner, tmp_path, header, reason):
    path = csv_file(tmp_path, "owner,alice,chat,2025-03-01T10:00:00Z", header=header)
    with pytest.raises(CommandError) as error:
        run(path)
    assert str(error.value).startswith(reason)


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"performer": "owner", "member": "alice",', "line 3: malformed JSON"),
        ('["owner", "alice"]', "line 3: expected a JSON object"),
        ('{"performer": "owner", "member": "alice", "type": "chat", '
         '"occurred_at": "2025-03-01T10:00:00Z", "colour": "red"}',
         "line 3: unknown field(s) colour"),
        ('{"performer": "owner", "member": 42, "type": "chat", '
         '"occurred_at": "2025-03-01T10:00:00Z"}', "line 3: member must be text"),
        ('{"performer": "owner", "member": "alice", "type": "chat", '
         '"occurred_at": "2025-03-01T10:00:00Z", "quantity": true}', "line 3: quantity"),
        ('{"performer": "owner", "member": "alice", "type": "chat", '
         '"occurred_at": "2025-03-01T10:00:00Z", "amount": "ten"}', "line 3: amount"),
    ],
)  # fmt: skip
def test_a_bad_json_line_is_reported_with_its_line(owner, tmp_path, bad_line, reason):
    good = {"performer": "owner", "member": "alice", "type": "chat",
            "occurred_at": "2025-03-01T10:00:00Z"}  # fmt: skip
    path = write(tmp_path, "events.jsonl", f"{json.dumps(good)}\n\n{bad_line}\n")

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).startswith(reason)
    assert not ContactEvent.objects.exists()


def test_line_numbers_count_the_physical_lines_of_quoted_multi_line_fields(owner, tmp_path):
    path = csv_file(
        tmp_path,
        'owner,alice,chat,2025-03-01T10:00:00Z,,,,"two\nlines"',
        "owner,alice,chat,2025-03-01T10:00:00Z,,0,,",
    )
    with pytest.raises(CommandError, match=r"^line 4: quantity"):
        run(path)


def test_a_bad_row_keeps_earlier_batches_and_says_how_to_resume(owner, tmp_path):
    rows = [GOOD.replace("alice", f"member{n}") for n in range(3)]
    path = csv_file(tmp_path, *rows, "owner,alice,call_dropped,2025-03-01T10:00:00Z,,,,")

    with pytest.raises(CommandError) as error:
        run(path, "--batch-size", "2")

    message = str(error.value)
    assert message.startswith("line 5: unknown contact type 'call_dropped'")
    assert "Rows through line 3 were imported" in message
    assert "--from-line 4" in message
    # Lines 2–3 were the first batch; line 4 shared the failed batch and was not applied.
    assert sorted(Customer.objects.values_list("member_name", flat=True)) == [
        "member0",
        "member1",
    ]


def test_atomic_imports_nothing_when_any_row_is_bad(owner, tmp_path):
    rows = [GOOD.replace("alice", f"member{n}") for n in range(5)]
    path = csv_file(tmp_path, *rows, "owner,alice,chat,2025-03-01T10:00:00,,,,")

    with pytest.raises(CommandError, match="Nothing was imported"):
        run(path, "--batch-size", "2", "--atomic")

    assert not ContactEvent.objects.exists()


def test_from_line_resumes_after_the_rows_already_imported(owner, tmp_path):
    rows = [GOOD.replace("alice", f"member{n}") for n in range(4)]
    path = csv_file(tmp_path, *rows)

    output = run(path, "--from-line", "4")

    assert "2 rows read, 2 events inserted" in output
    assert sorted(Customer.objects.values_list("member_name", flat=True)) == [
        "member2",
        "member3",
    ]


def test_batches_group_events_by_performer_and_match_a_recount(owner, colleague, tmp_path):
    rows = []
    for n in range(30):
        performer = "owner" if n % 3 else "colleague"
        kind = ["call_received", "call_missed", "chat", "mail_sent"][n % 4]
        rows.append(f"{performer},m{n % 7},{kind},2025-03-{1 + n % 28:02d}T10:00:00Z,{n},2,R{n},")

    run(csv_file(tmp_path, *rows), "--batch-size", "4")

    assert ContactEvent.objects.count() == 30
    assert find_drift() == []


def test_large_batches_travel_by_copy_and_match_a_recount(owner, colleague, tmp_path, monkeypatch):
    from contacts import services

    copies = []
    copy_to_stage = services._copy_to_stage
    monkeypatch.setattr(
        services, "_copy_to_stage", lambda *a: copies.append(len(a[1])) or copy_to_stage(*a)
    )
    # 1,200 rows in batches of 600, one transaction (--atomic): the owner's ~540 rows a batch
    # are over contacts.services.COPY_FROM, so staged with COPY twice in one transaction.
    # Rows 900-1,199 repeat the references of rows 0-299 (skipped as duplicates).
    kinds = ["call_received", "call_missed", "chat", "mail_sent", "goody_bag"]
    rows = [
        f"{'colleague' if n % 10 == 0 else 'owner'},m{n % 97},{kinds[n % 5]},"
        f"2025-03-{1 + n % 28:02d}T{n % 24:02d}:00:00Z,{n % 50}.25,{1 + n % 3},R{n % 900},"
        f'"summary, with \t tab \\ {n}"'
        for n in range(1200)
    ]

    output = run(csv_file(tmp_path, *rows), "--batch-size", "600", "--atomic")

    assert len(copies) == 2 and min(copies) >= services.COPY_FROM
    assert "1,200 rows read, 900 events inserted, 300 duplicates skipped" in output
    assert ContactEvent.objects.count() == 900
    assert find_drift() == []
    assert ContactEvent.objects.get(reference="R7").summary == "summary, with \t tab \\ 7"


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.csv")


def test_a_file_that_is_not_utf8_is_a_bad_row(owner, tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(HEADER.encode() + b"owner,\xff\xfe,chat,2025-03-01T10:00:00Z,,,,\n")
    with pytest.raises(CommandError, match="not valid UTF-8"):
        run(path)


def test_an_empty_file_imports_nothing(tmp_path):
    output = run(write(tmp_path, "empty.csv", ""))
    assert "0 rows read" in output


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        # Year 0 and year 10000 in UTC: PostgreSQL stores them, Python cannot read them back.
        ("owner,alice,chat,0001-01-01T00:00:00+14:00,,,,", "outside the accepted range"),
        ("owner,alice,chat,9999-12-31T23:59:59-12:00,,,,", "outside the accepted range"),
        ("owner,alice,chat,1989-12-31T23:59:59Z,,,,", "outside the accepted range"),
        ("owner,alice,chat,2999-01-01T00:00:00Z,,,,", "outside the accepted range"),
    ],
)
def test_a_time_outside_the_sane_range_is_a_bad_row(owner, tmp_path, bad_row, reason):
    path = csv_file(tmp_path, GOOD, bad_row)

    with pytest.raises(CommandError, match=rf"^line 3: occurred_at .*{reason}"):
        run(path)

    assert not ContactEvent.objects.exists()


def test_the_earliest_accepted_time_is_a_setting(owner, tmp_path, settings):
    settings.MYCUSTOMERS = {
        **settings.MYCUSTOMERS,
        "EVENT_TIME_MIN": datetime(2025, 6, 1, tzinfo=UTC),
    }
    path = csv_file(tmp_path, GOOD)  # 2025-03-01

    with pytest.raises(CommandError, match=r"^line 2: occurred_at .*outside .*2025-06-01"):
        run(path)


def test_a_time_up_to_a_day_ahead_is_accepted(owner, tmp_path):
    soon = (timezone.now() + timedelta(hours=23)).isoformat()
    later = (timezone.now() + timedelta(hours=25)).isoformat()
    run(csv_file(tmp_path, f"owner,alice,chat,{soon},,,,"))

    with pytest.raises(CommandError, match=r"^line 2: occurred_at .*outside"):
        run(csv_file(tmp_path, f"owner,bob,chat,{later},,,,"))

    assert ContactEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "quantity", "reason"),
    [
        ("", "²", "quantity '²' must be a whole number"),  # "²".isdigit(), but int() raises
        ("", "٣", "quantity '٣' must be a whole number"),  # int("٣") is 3
        ("", "1_000", "quantity '1_000' must be a whole number"),
        ("", "9" * 5000, "must be a whole number"),  # int() refuses over 4,300 digits
        ("1e2", "", "amount '1e2' is not a decimal number"),  # Decimal("1e2") is 100
        ("٣", "", "amount '٣' is not a decimal number"),
        ("1_000", "", "amount '1_000' is not a decimal number"),
        ("Infinity", "", "amount 'Infinity' is not a decimal number"),
        ("٣.5", "", "is not a decimal number"),
    ],
)
def test_numbers_are_ascii_digits_with_at_most_a_decimal_point(
    owner, tmp_path, amount, quantity, reason
):
    path = csv_file(tmp_path, GOOD, f"owner,alice,chat,2025-03-01T10:00:00Z,{amount},{quantity},,")

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).startswith("line 3: ")
    assert reason in str(error.value).splitlines()[0]
    assert not ContactEvent.objects.exists()


def test_plain_decimal_amounts_are_accepted(owner, tmp_path):
    path = csv_file(
        tmp_path,
        "owner,alice,chat,2025-03-01T10:00:00Z,12,,,",
        "owner,alice,chat,2025-03-01T11:00:00Z, 0.5 ,,,",
        "owner,alice,chat,2025-03-01T12:00:00Z,3.25,007,,",
    )
    run(path)
    alice = Customer.objects.get(performer=owner, member_name="alice")
    assert (alice.earnings, alice.chat_volleys) == (Decimal("15.75"), 9)


CHAT = '"performer": "owner", "member": "alice", "type": "chat", "occurred_at": "2025-03-01T10Z"'


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"performer": "owner", "member": "al\\ud800ice", "type": "chat", '
         '"occurred_at": "2025-03-01T10:00:00Z"}', "line 3: text is not valid Unicode"),
        ('{' + CHAT + ', "summary": "\\udfff"}', "line 3: text is not valid Unicode"),
        ('{' + CHAT + ', "\\ud800": 1}', "line 3: text is not valid Unicode"),
        ("[" * 100_000 + "]" * 100_000, "line 3: malformed JSON: nested too deeply"),
        ('{"performer": ' + "[" * 100_000, "line 3: malformed JSON: nested too deeply"),
        ('{' + CHAT + ', "amount": 1e2}', "line 3: amount"),
        ('{' + CHAT + ', "amount": 1E+2}', "line 3: amount"),
        ('{' + CHAT + ', "quantity": 2.0}', "line 3: quantity"),
    ],
)  # fmt: skip
def test_json_that_python_cannot_take_is_a_bad_line(owner, tmp_path, bad_line, reason):
    path = write(tmp_path, "events.jsonl", "{" + CHAT + "}\n\n" + bad_line + "\n")

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).startswith(reason)
    assert not ContactEvent.objects.exists()


def test_a_valid_surrogate_pair_in_json_is_one_character(owner, tmp_path):
    line = ('{"performer": "owner", "member": "\\ud83d\\ude00", "type": "chat", '
            '"occurred_at": "2025-03-01T10:00:00Z", "amount": 2.50}')  # fmt: skip
    path = write(tmp_path, "events.jsonl", line + "\n")

    run(path)

    customer = Customer.objects.get(performer=owner)
    assert (customer.member_name, customer.earnings) == ("😀", Decimal("2.50"))


def analyzed_tables(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]


def test_it_analyzes_the_tables_it_wrote_at_the_end(owner, tmp_path):
    path = csv_file(tmp_path, GOOD, GOOD.replace("alice", "bob"))

    with CaptureQueriesContext(connection) as queries:
        run(path)

    assert analyzed_tables(queries) == [
        "ANALYZE contacts_contactevent, mycustomers_customer, mycustomers_member, performer"
    ]
    statements = [q["sql"] for q in queries.captured_queries]
    analyzed = next(i for i, sql in enumerate(statements) if sql.startswith("ANALYZE"))
    # After the last batch, before the insights are refreshed (planned with the statistics).
    assert not any("INSERT INTO" in sql for sql in statements[analyzed:])
    assert any(
        "UPDATE mycustomers_customer c SET paid_days" in sql for sql in statements[analyzed:]
    )


def test_an_import_stopped_by_a_bad_row_analyzes_what_it_committed(owner, tmp_path):
    path = csv_file(tmp_path, GOOD, GOOD.replace("alice", "bob"), "owner,x,nope,,,,,")

    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
        run(path, "--batch-size", "1")

    assert len(analyzed_tables(queries)) == 1


def test_an_import_that_wrote_nothing_analyzes_nothing(owner, tmp_path):
    path = csv_file(tmp_path, "owner,x,nope,,,,,")

    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
        run(path)

    assert analyzed_tables(queries) == []
