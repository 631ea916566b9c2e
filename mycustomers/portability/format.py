"""The performer file, version 1: its line types, how each value of a line is checked, and a
checksum of a file's content that ignores database ids (docs/operations.md, "Performer
export and import").

A file is UTF-8 JSON Lines: a header, then the lines of each type in ``LINE_TYPES`` order,
then an ``end`` line with the number of lines of each type. Rows that others refer to
(customers, lists, smart lists, mails) carry an ``id``, which only means something inside
the file: references always point to an earlier line, so a file is read in one pass.

Each line type copies its model's fields as they are, found from the model itself: a field
added to a model is exported without a change here (and imported, being part of the line).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import IO, Any
from urllib.parse import unquote_plus

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.db import models

from contacts.importing import json_object
from contacts.models import (
    Activity,
    ContactEvent,
    Feedback,
    Mail,
    MailDelivery,
    Note,
    Offer,
)
from contacts.services import event_time_range
from lists.models import SMART_KEY_PREFIX, CustomerList, Membership, SmartList
from mycustomers.models import Customer, Member, Performer, SavedView

FORMAT = "mycustomers-performer"
VERSION = 1
# A line longer than this is refused rather than read into memory (the longest real line, a
# mail of 20,000 characters written as \u escapes, is about 120 kB).
MAX_LINE_BYTES = 1_000_000
# The main view's URL parameters that hold list ids (a saved view's query, a smart list's
# rules): ``list`` (a custom list's id, or "s" + a smart list's id) and ``not_list``.
LIST_PARAMETERS = ("list", "not_list")
# A list key that matches no list: what a reference to a list not in the file becomes, so a
# view that named a deleted list still says "that list does not exist (any more)".
NO_LIST = "0"


class BadLine(ValueError):
    """A line that cannot be imported; ``str()`` names it and says why."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class BadValue(ValueError):
    """A value that its field refuses; the message says why (without the field's name)."""


Rule = Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True)
class Ref:
    """A key holding the file id of an earlier line of type ``target``; ``column``: the
    model's column it fills (None: the importer uses it otherwise)."""

    key: str
    target: str
    column: str | None
    null: bool = False


@dataclass(frozen=True)
class LineType:
    name: str
    model: type[models.Model]
    refs: tuple[Ref, ...] = ()
    has_id: bool = False
    # Model fields that are no value of the line: keys, derived copies, what refs cover.
    skipped: tuple[str, ...] = ()
    # Only these model fields (the performer's account: see ACCOUNT_FIELDS).
    only: tuple[str, ...] = ()
    # Keys of the line checked as fields of another model: (key, field).
    extra: tuple[tuple[str, models.Field], ...] = ()
    # Makes, once per file, a check of what the database's check constraints (or the app's
    # rules) ask beyond each field: the reason a line's values break one, or None.
    rule: Callable[[], Rule] | None = None
    # Fields written under another key: an event's "type" would be the line's own.
    renamed: tuple[tuple[str, str], ...] = ()

    def key(self, field: models.Field) -> str:
        return dict(self.renamed).get(field.name, field.name)

    @cached_property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(self.key(f) for f in self.fields)

    @cached_property
    def fields(self) -> tuple[models.Field, ...]:
        skipped = {"id", "performer", *self.skipped}
        return tuple(
            f
            for f in self.model._meta.concrete_fields
            if (f.name in self.only if self.only else f.name not in skipped)
            and not isinstance(f, models.GeneratedField | models.ForeignKey)
        )

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Every key of a line of this type, in the order an export writes them."""
        return (
            "type",
            *(("id",) if self.has_id else ()),
            *(key for key, _ in self.extra),
            *(ref.key for ref in self.refs),
            *self.field_keys,
        )

    @cached_property
    def key_set(self) -> frozenset[str]:
        return frozenset(self.keys)

    @cached_property
    def checkers(self) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        """(key, check) for every value of the line but its type, id and refs."""
        return (
            *((key, checker(field)) for key, field in self.extra),
            *zip(self.field_keys, map(checker, self.fields), strict=True),
        )


def _event_rule() -> Rule:
    earliest, latest = event_time_range()  # as import_events checks them, once per file

    def rule(values: dict[str, Any]) -> str | None:
        if values["amount"] < 0:
            return "amount must not be negative"
        if values["quantity"] < 1:
            return "quantity must be at least 1"
        if not earliest <= values["occurred_at"] <= latest:
            return (
                f"occurred_at {values['occurred_at'].isoformat()} is outside the accepted "
                f"range ({earliest:%Y-%m-%d} to {latest:%Y-%m-%d %H:%M} UTC)"
            )
        return None

    return rule


def _offer_rule() -> Rule:
    return lambda values: "value must be more than 0" if values["value"] <= 0 else None


# The performer's own account. Not the password hash (a credential, not data: a new
# performer must set a password), nor staff or superuser rights, groups and permissions
# (what the operator grants; a file must never grant them), nor data_version (the
# database's counter of changes).
ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "date_joined",
    "last_login",
    "columns",
    "time_zone",
)
_member = Member._meta.get_field
_customer_ref = Ref("customer", "customer", "customer_id")

LINE_TYPES: tuple[LineType, ...] = (
    LineType("performer", Performer, only=ACCOUNT_FIELDS),
    # The member (a platform account, shared by performers) by name; member_name is its copy.
    LineType(
        "customer",
        Customer,
        has_id=True,
        skipped=("member_name",),
        extra=(
            ("member", _member("name")),
            ("member_photo_url", _member("photo_url")),
            ("member_joined_at", _member("joined_at")),
        ),
    ),
    LineType("list", CustomerList, has_id=True),
    LineType(
        "membership",
        Membership,
        refs=(Ref("list", "list", "customer_list_id"), _customer_ref),
    ),
    LineType("smart_list", SmartList, has_id=True),
    LineType("saved_view", SavedView),
    LineType("mail", Mail, has_id=True),
    # Deliveries whose event was removed (remove_events); the others are their event's line.
    LineType(
        "delivery",
        MailDelivery,
        refs=(Ref("mail", "mail", "mail_id"), _customer_ref),
    ),
    # "mail": the mail this event delivered to its customer (the delivery), or null.
    LineType(
        "event",
        ContactEvent,
        refs=(_customer_ref, Ref("mail", "mail", None, null=True)),
        rule=_event_rule,
        renamed=(("type", "contact_type"),),
    ),
    LineType("note", Note, refs=(_customer_ref,)),
    LineType("offer", Offer, refs=(_customer_ref,), rule=_offer_rule),
    LineType("feedback", Feedback, refs=(_customer_ref,)),
    LineType("activity", Activity, refs=(_customer_ref,)),
)
BY_NAME = {t.name: t for t in LINE_TYPES}
# Models with a performer or customer key that are no line type, and why (a test checks
# that every such model is one or the other).
NOT_EXPORTED = {
    "contacts.ActivityCustomer": (
        "the customers of a shared activity entry: the export writes that entry as an "
        "activity line for each of them, which the import keeps as entries of their own"
    ),
    "mycustomers.MassAction": (
        "the background worker's record of a mass action: its state, not the performer's "
        "data (--replace deletes the performer's finished ones, and waits for running ones)"
    ),
}
END = "end"


# -- checking one value --------------------------------------------------------------------

DECIMAL_TEXT = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def checker(field: models.Field) -> Callable[[Any], Any]:
    """A function that turns a JSON value into the field's Python value, or raises BadValue."""
    base = _base_checker(field)
    null = field.null

    def check(value: Any) -> Any:
        if value is None:
            if null:
                return None
            raise BadValue("must not be null")
        return base(value)

    return check


def _base_checker(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, ArrayField):
        item = _base_checker(field.base_field)
        return lambda value: [item(v) for v in _typed(value, list, "a list")]
    if isinstance(field, models.BooleanField):
        return lambda value: _typed(value, bool, "true or false")
    if isinstance(field, models.IntegerField):
        return _whole_number_checker(field)
    if isinstance(field, models.DecimalField):
        return _decimal_checker(field)
    if isinstance(field, models.DateTimeField):
        return _moment
    if isinstance(field, models.DateField):
        return _day
    if isinstance(field, models.UUIDField):
        return _uuid
    return _text_checker(field)


def _text_checker(field: models.Field) -> Callable[[Any], str]:
    limit = field.max_length
    choices = {str(c) for c, _ in field.flatchoices} if field.choices else None
    blank = field.blank
    # What the checks below do not cover (a URL's, an email's or a username's form); the
    # length and NUL validators would repeat them, at a cost on millions of values.
    validators = [
        v
        for v in field.validators
        if not isinstance(v, MaxLengthValidator | ProhibitNullCharactersValidator)
    ]

    def check(value: Any) -> str:
        text = _typed(value, str, "text")
        if "\x00" in text:
            raise BadValue("contains a NUL character, which cannot be stored")
        try:
            text.encode()
        except UnicodeEncodeError:
            raise BadValue("is not valid Unicode (a lone surrogate such as \\ud800)") from None
        if not text:
            if not blank:
                raise BadValue("must not be empty")
            return text
        if limit is not None and len(text) > limit:
            raise BadValue(f"is longer than {limit} characters")
        if choices is not None and text not in choices:
            raise BadValue(f"{text!r} is not one of {', '.join(sorted(repr(c) for c in choices))}")
        return _validated(text, validators) if validators else text

    return check


def _typed(value: Any, kind: type, what: str) -> Any:
    # bool is an int in Python, and JSON's true must not pass for 1 (nor 1 for true).
    if type(value) is not kind:
        raise BadValue(f"must be {what}")
    return value


def _validated(value: Any, validators: Iterable[Callable]) -> Any:
    for validate in validators:
        try:
            validate(value)
        except ValidationError as error:
            raise BadValue(" ".join(error.messages)) from None
    return value


def _whole_number_checker(field: models.Field) -> Callable[[Any], int]:
    """Whole numbers within the field's range (its column's, and its own validators')."""
    lowest = max(
        (v.limit_value for v in field.validators if isinstance(v, MinValueValidator)),
        default=None,
    )
    highest = min(
        (v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)),
        default=None,
    )

    def check(value: Any) -> int:
        if type(value) is not int:
            raise BadValue("must be a whole number")
        if lowest is not None and value < lowest:
            raise BadValue(f"must be at least {lowest}")
        if highest is not None and value > highest:
            raise BadValue(f"must be at most {highest}")
        return value

    return check


def _decimal_checker(field: models.DecimalField) -> Callable[[Any], Decimal]:
    """Decimal text with at most the field's digits before and after the point."""
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    fits = re.compile(rf"-?[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?")

    def check(value: Any) -> Decimal:
        text = _typed(value, str, 'a decimal number written as text, e.g. "12.50"')
        if not fits.fullmatch(text):
            if not DECIMAL_TEXT.fullmatch(text):
                raise BadValue(f'{text!r} is not a decimal number such as "12.50"')
            raise BadValue(
                f"{text!r} has more than {whole} digits before the point or {places} after it"
            )
        return Decimal(text)

    return check


def _moment(value: Any) -> datetime:
    text = _typed(value, str, "a date and time as ISO 8601 text")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise BadValue(f"{text!r} needs a UTC offset (e.g. +00:00)")
    return moment


def _day(value: Any) -> date:
    text = _typed(value, str, "a date as YYYY-MM-DD text")
    try:
        if not DATE_TEXT.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{text!r} is not a date YYYY-MM-DD") from None


def _uuid(value: Any) -> uuid.UUID:
    text = _typed(value, str, "a UUID as text")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise BadValue(f"{text!r} is not a UUID") from None


# -- lines ---------------------------------------------------------------------------------


def open_file(path: str, mode: str, *, name: str | None = None) -> IO[bytes]:
    """A performer file for reading ("rb") or writing ("wb"); gzip-compressed when its name
    (``name``, by default the path's) ends in ".gz"."""
    if (name or path).endswith(".gz"):
        return gzip.open(path, mode, compresslevel=6)
    return open(path, mode)  # the caller closes it


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of a binary stream, lazily; raises BadLine for a line
    that is too long or not UTF-8."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise BadLine(number, f"longer than {MAX_LINE_BYTES:,} bytes")
        try:
            yield number, raw.decode()
        except UnicodeDecodeError:
            raise BadLine(number, "not valid UTF-8 text") from None


def parse_line(number: int, text: str) -> dict[str, Any]:
    """One line as a JSON object, or BadLine."""
    try:
        return json_object(text)
    except ValueError as error:
        raise BadLine(number, str(error)) from None


def list_key(value: str, lists: Mapping[int, int], smart_lists: Mapping[int, int]) -> str:
    """A ``list``/``not_list`` value with its id mapped through ``lists`` (custom lists) or
    ``smart_lists`` ("s" + id); an id neither maps becomes NO_LIST, any other value (a default
    list such as "new", or nothing) stays."""
    if value.isascii() and value.isdigit():
        return str(lists.get(int(value), NO_LIST))
    rest = value[len(SMART_KEY_PREFIX) :]
    if value.startswith(SMART_KEY_PREFIX) and rest.isascii() and rest.isdigit():
        mapped = smart_lists.get(int(rest))
        return f"{SMART_KEY_PREFIX}{mapped}" if mapped else NO_LIST
    return value


def map_list_ids(query: str, lists: Mapping[int, int], smart_lists: Mapping[int, int]) -> str:
    """A main-view URL query with the list ids of its LIST_PARAMETERS mapped (``list_key``);
    every other part is kept byte for byte."""
    parts = []
    for part in query.split("&"):
        key, equals, value = part.partition("=")
        if equals and unquote_plus(key) in LIST_PARAMETERS:
            part = f"{key}={list_key(unquote_plus(value), lists, smart_lists)}"
        parts.append(part)
    return "&".join(parts)


# The line values that hold a main-view query with list ids.
QUERY_KEYS = {"smart_list": "rules", "saved_view": "query"}


def content_digest(stream: IO[bytes]) -> str:
    """SHA-256 of a file's content without what names the copy rather than the data: the
    header (when and from which performer it was exported), the performer's username, and
    database ids. Each file id becomes its line's position among the lines of its type, in
    references and in the list ids of queries too; the export writes rows in id order and the
    import keeps that order, so a round trip gives the same digest."""
    positions: dict[str, dict[int, int]] = {t.name: {} for t in LINE_TYPES if t.has_id}
    digest = hashlib.sha256()
    for number, text in read_lines(stream):
        record = parse_line(number, text)
        if number == 1:
            continue
        line_type = BY_NAME.get(record.get("type"))
        if line_type is not None:
            _normalise(record, line_type, positions)
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _normalise(record: dict, line_type: LineType, positions: dict[str, dict[int, int]]) -> None:
    if line_type.name == "performer":
        record.pop("username", None)
    if line_type.has_id:
        own = positions[line_type.name]
        record["id"] = own.setdefault(record.get("id"), len(own) + 1)
    for ref in line_type.refs:
        if record.get(ref.key) is not None:
            record[ref.key] = positions[ref.target].get(record[ref.key])
    query_key = QUERY_KEYS.get(line_type.name)
    if query_key and isinstance(record.get(query_key), str):
        record[query_key] = map_list_ids(
            record[query_key], positions["list"], positions["smart_list"]
        )
