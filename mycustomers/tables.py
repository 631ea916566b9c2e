"""The My Customers table (SPEC §3, M3–M7): columns, cells, sorting and pagination.

Cells are rendered by ``render_FOO`` methods (escaped HTML) and assembled by
``CustomerTable.html_rows`` for a lean template: django-tables2's generic per-cell path
(accessors, attribute dicts, signature inspection) costs several times the SQL of a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from html import escape

import django_tables2 as tables
from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import localdate, localtime
from django_tables2.rows import BoundRows

from contacts.types import ContactType
from mycustomers.avatars import avatar_tone, initials
from mycustomers.models import COUNTER_FIELDS, Customer, FollowUpStatus
from mycustomers.money import money

DEFAULT_SORT = "-last_contact"
# Form of the page that the missed-call buttons submit (outside the mass-action form: forms
# cannot nest). See templates/customers/customer_list_body.jinja.
FLAG_FORM_ID = "flag-form"

# Icon shapes after Feather icons (MIT licence), drawn with currentColor.
_ICON_PATHS = {
    "phone": '<path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6 '
    "19.8 19.8 0 0 1-3.1-8.7A2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.5 "
    '2.1L8.1 9.9a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.8.7a2 2 0 0 1 1.7 2z"/>',
    "headphones": '<path d="M3 18v-6a9 9 0 0 1 18 0v6"/><path d="M21 19a2 2 0 0 1-2 2h-1a2 2 0 '
    '0 1-2-2v-3a2 2 0 0 1 2-2h3zM3 19a2 2 0 0 0 2 2h1a2 2 0 0 0 2-2v-3a2 2 0 0 0-2-2H3z"/>',
    "send": '<path d="M22 2 11 13"/><path d="M22 2 15 22l-4-9-9-4 20-7z"/>',
    "inbox": '<path d="M22 12h-6l-2 3h-4l-2-3H2"/><path d="M5.5 5.1 2 12v6a2 2 0 0 0 2 2h16a2 2 '
    '0 0 0 2-2v-6l-3.5-6.9A2 2 0 0 0 16.8 4H7.2a2 2 0 0 0-1.8 1.1z"/>',
    "gift": '<path d="M20 12v10H4V12"/><path d="M2 7h20v5H2zM12 22V7"/><path d="M12 7H7.5a2.5 '
    '2.5 0 0 1 0-5C11 2 12 7 12 7zM12 7h4.5a2.5 2.5 0 0 0 0-5C13 2 12 7 12 7z"/>',
    "chat": '<path d="M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 '
    "21l1.9-5.7a8.4 8.4 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 "
    '8 8v.5z"/>',
    "feed": '<path d="M4 11a9 9 0 0 1 9 9M4 4a16 16 0 0 1 16 16"/><circle cx="5" cy="19" r="1"/>',
    "flag": '<path d="M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1zM4 22v-7"/>',
}


def icon(name: str) -> SafeString:
    """An inline SVG icon, hidden from assistive technology (the text beside it speaks)."""
    return mark_safe(  # constant markup from _ICON_PATHS
        '<svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        f'aria-hidden="true" focusable="false">{_ICON_PATHS[name]}</svg>'
    )


# Labels by code, built once: Model.get_FOO_display() rebuilds a dict of the choices per call.
CONTACT_TYPE_LABELS = dict(ContactType.choices)
FOLLOW_UP_LABELS = dict(FollowUpStatus.choices)
_FLAG_ICON = icon("flag")
# Reversed once, then replaced by each row's values: numbers no URL of ours holds otherwise.
_PLACEHOLDERS = (987654321, 987654322)


def url_format(name: str, *fields: str) -> str:
    """The URL of ``name`` with its integer arguments as ``str.format`` fields, e.g.
    ``"/customers/{pk}/"``: reverse() once per page rather than once per row."""
    url = reverse(name, args=_PLACEHOLDERS[: len(fields)])
    for placeholder, field in zip(_PLACEHOLDERS, fields, strict=False):
        url = url.replace(str(placeholder), f"{{{field}}}")
    return url


@dataclass(frozen=True)
class RowUrls:
    """The per-row URLs as templates: reverse() once per page rather than twice per row."""

    detail: str
    dismiss_flag: str
    today: date  # the performer's: the overdue badge counts from it

    @classmethod
    def build(cls) -> RowUrls:
        return cls(
            detail=url_format("customers:detail", "pk"),
            dismiss_flag=url_format("customers:dismiss_flag", "pk"),
            today=localdate(),
        )


# What the cells read (render_FOO, customer_cell, Customer.is_new / is_overdue /
# overdue_factor / list_label), and nothing more: a page's rows load no other column (four
# timestamps fewer a row, each parsed in Python).
ROW_FIELDS = (
    "member_name",
    "nickname",
    "status",
    "first_contact",
    "new_cleared",
    "has_missed_call",
    "follow_up",
    *COUNTER_FIELDS,
    "earnings",
    "last_contact",
    "last_contact_type",
    "list_names",
    "affiliate_referral",
    "usual_gap",
    "last_paid_day",
    "due_date",
    "overdue_from",
)


def customer_cell(customer: Customer, urls: RowUrls | None = None) -> SafeString:
    """The Customer cell (M3, M6, M7, D8); also the htmx response after a flag dismissal.

    Built with f-strings and ``html.escape`` (what Django's ``escape`` calls, without its
    per-call lazy-string check): this runs for every row of every page.
    """
    urls = urls or RowUrls.build()
    pk, name = customer.pk, escape(customer.member_name)
    parts = [f'<a class="member" href="{urls.detail.format(pk=pk)}">{name}</a>']
    if customer.nickname:
        parts.append(f'<span class="nickname">{escape(customer.nickname)}</span>')
    if customer.is_new:
        parts.append('<span class="badge-new">new</span>')
    if customer.has_missed_call:
        url = urls.dismiss_flag.format(pk=pk)
        parts.append(
            f'<button type="submit" class="missed-call" form="{FLAG_FORM_ID}" formaction="{url}" '
            f'hx-post="{url}" hx-target="#customer-{pk}" hx-swap="outerHTML" '
            f'title="Missed call: click to dismiss">{_FLAG_ICON}'
            f'<span class="visually-hidden">Dismiss the missed-call flag of {name}</span></button>'
        )
    if customer.is_overdue(urls.today):
        factor = customer.overdue_factor(urls.today)
        parts.append(
            f'<span class="badge-overdue" title="Quiet {factor}× longer than their usual '
            f'{customer.usual_gap} days">overdue {factor}×</span>'
        )
    if customer.follow_up:
        parts.append(f'<span class="follow-up">{FOLLOW_UP_LABELS[customer.follow_up]}</span>')
    # Initials from the name already on the row: no photo lookup, no query.
    avatar = (
        f'<span class="avatar avatar-row avatar-tone-{avatar_tone(customer.member_name)}" '
        f'aria-hidden="true">{escape(initials(customer.member_name))}</span>'
    )
    return mark_safe(
        f'<div class="customer" id="customer-{pk}">{avatar}'
        f'<div class="customer-text">{" ".join(parts)}</div></div>'
    )


def _safe(content) -> str:
    """Cells are SafeStrings (built escaped) or plain text to escape."""
    return content if isinstance(content, SafeData) else escape(str(content))


class SharedColumn(tables.Column):
    """A column that every table instance shares rather than deep-copies: ours are never
    changed after class creation (django-tables2 keeps per-table state on ``BoundColumn``),
    and copying every column with its attribute dicts was a measurable share of a request."""

    def __deepcopy__(self, memo):
        return self


class SelectColumn(SharedColumn):
    """The row checkbox of the mass actions (SPEC §4): ``ids`` of the table's form."""

    css = "select"


class SortColumn(SharedColumn):
    """A column sorted in SQL by ``CustomerQuerySet.sorted_by(<its order_by key>)``, so every
    sort has its index and its member-name tie-break (M4).

    ``icon``: header icon (the verbose name stays as the accessible text);
    ``short``: a word of the verbose name shown under the icon where there is no hover (phones);
    ``descending_first``: a first click on the header sorts high to low (counts, money, dates).
    """

    def __init__(
        self, verbose_name, *, icon=None, short="", descending_first=False, css="", **kwargs
    ):
        super().__init__(verbose_name, empty_values=(), **kwargs)
        self.icon = icon
        self.short = short
        self.descending_first = descending_first
        self.css = css

    def order(self, queryset, is_descending):
        key = self.order_by[0].bare
        return queryset.sorted_by(key, descending=is_descending), True


def _count(verbose_name, order_by, icon_name, short):
    return SortColumn(
        verbose_name,
        order_by=order_by,
        icon=icon_name,
        short=short,
        descending_first=True,
        css="num",
    )


@dataclass(frozen=True)
class Header:
    name: str
    label: str
    icon: SafeString | None
    short: str  # shown under the icon on narrow screens
    url: str
    aria_sort: str  # "ascending", "descending" or "" (not sorted by this column)
    css: str


class CustomerTable(tables.Table):
    """The main view's columns in M3 order; the column names are the ``sort`` keys (M11)."""

    select = SelectColumn("Select", empty_values=(), orderable=False)
    customer = SortColumn("Customer", order_by="customer", css="customer-col")
    live_calls = _count("Live calls", "live_calls", "phone", "Live")
    recorded_calls = _count("Recorded calls", "recorded_calls", "headphones", "Recorded")
    mail_sent = _count("Mail sent", "mail_sent", "send", "Sent")
    mail_received = _count("Mail received", "mail_received", "inbox", "Received")
    goody_bags = _count("Goody bags", "goody_bags", "gift", "Goody")
    chat_volleys = _count("Chat volleys", "chat_volleys", "chat", "Chat")
    feeds = _count("Feeds", "feeds", "feed", "Feeds")
    earnings = SortColumn(
        "Lifetime earnings", order_by="earnings", descending_first=True, css="num money"
    )
    last_contact = SortColumn(
        "Last contact", order_by="last_contact", descending_first=True, css="date"
    )
    contact_type = SortColumn("Contact type", order_by="contact_type", css="type")
    lists = SortColumn("Customer lists", order_by="lists", css="lists")
    due = SortColumn("Due", order_by="due", css="date")

    class Meta:
        order_by_field = "sort"
        page_field = "page"
        per_page_field = "per_page"

    # Cells. Each takes the Customer; ``html_rows`` calls them directly.

    def render_select(self, record: Customer) -> SafeString:
        return mark_safe(
            f'<input type="checkbox" name="ids" value="{record.pk}" '
            f'data-earnings="{record.earnings}" aria-label="Select {escape(record.member_name)}">'
        )

    def render_customer(self, record: Customer) -> SafeString:
        return customer_cell(record, self._row_urls)

    def render_live_calls(self, record: Customer) -> str:
        return f"{record.live_calls:,}"

    def render_recorded_calls(self, record: Customer) -> str:
        return f"{record.recorded_calls:,}"

    def render_mail_sent(self, record: Customer) -> str:
        return f"{record.mail_sent:,}"

    def render_mail_received(self, record: Customer) -> str:
        return f"{record.mail_received:,}"

    def render_goody_bags(self, record: Customer) -> str:
        return f"{record.goody_bags:,}"

    def render_chat_volleys(self, record: Customer) -> str:
        return f"{record.chat_volleys:,}"

    def render_feeds(self, record: Customer) -> str:
        return f"{record.feeds:,}"

    def render_earnings(self, record: Customer) -> str:
        return money(record.earnings)

    def render_last_contact(self, record: Customer) -> SafeString:
        if record.last_contact is None:
            return mark_safe('<span class="muted">Never</span>')
        moment = localtime(record.last_contact)
        return mark_safe(
            f'<time datetime="{moment.date().isoformat()}">'
            f"{moment:%b} {moment.day}, {moment.year}</time>"
        )

    def render_contact_type(self, record: Customer) -> str:
        return CONTACT_TYPE_LABELS.get(record.last_contact_type, "")

    def render_lists(self, record: Customer) -> str:
        return record.list_label

    def render_due(self, record: Customer) -> SafeString:
        day = record.due_date
        if day is None:
            return mark_safe('<span class="muted" title="Fewer than 3 paid days">—</span>')
        return mark_safe(
            f'<time datetime="{day.isoformat()}">{day:%b} {day.day}, {day.year}</time>'
        )

    # Lean rendering

    @cached_property
    def _row_urls(self) -> RowUrls:
        return RowUrls.build()

    @cached_property
    def _cell_renderers(self) -> list[tuple[str, Callable[..., str]]]:
        return [
            (getattr(column.column, "css", ""), getattr(self, f"render_{column.name}"))
            for column in self.columns
        ]

    def html_rows(self) -> Iterator[SafeString]:
        """One ``<tr>`` per customer of the current page."""
        renderers = self._cell_renderers
        for row in self.page.object_list:
            cells = "".join(
                f'<td class="{css}">{_safe(render(record=row.record))}</td>'
                for css, render in renderers
            )
            yield mark_safe(f"<tr>{cells}</tr>")

    def headers(self, url_for_sort: Callable[[str], str]) -> list[Header]:
        """Sortable header cells: a click sorts by the column, a second click reverses it."""
        current = self.order_by[0] if self.order_by else DEFAULT_SORT
        headers = []
        for column in self.columns:
            if not column.orderable:
                continue
            name = column.name
            sorted_here = current.lstrip("-") == name
            descending = current.startswith("-")
            if sorted_here:
                next_sort = name if descending else f"-{name}"
            else:
                next_sort = f"-{name}" if column.column.descending_first else name
            headers.append(
                Header(
                    name=name,
                    label=str(column.header),
                    icon=icon(column.column.icon) if column.column.icon else None,
                    short=column.column.short,
                    url=url_for_sort(next_sort),
                    aria_sort=("descending" if descending else "ascending") if sorted_here else "",
                    css=column.column.css,
                )
            )
        return headers

    def paginate(
        self, paginator_class=None, per_page=None, page=1, *, lookup=None, count=None, **kwargs
    ):
        """Paginate with ``CustomerPaginator``; a page past the end shows the last page.

        ``lookup``: the performer's customers, where a page's rows are fetched by name;
        ``count``: the number of rows, if known already.
        """
        self.paginator = CustomerPaginator(
            self.data.data, per_page or 20, lookup=lookup, count=count
        )
        self.page = self.paginator.page(min(max(page, 1), self.paginator.num_pages))
        # Rows, as django-tables2's own templates expect (``table.paginated_rows``).
        self.page.object_list = BoundRows(self.page.object_list, table=self)
        return self


class CustomerPaginator(Paginator):
    """Pages of a sorted customer QuerySet whose cost does not grow with the page number.

    ``OFFSET n`` walks n index entries *and their table rows*, so the last pages of a large
    performer were the slowest (docs/performance.md). Here an inner query picks the page's
    member names (unique per performer) with an index-only scan of the sort index, read from
    whichever end is nearer, and the outer query fetches just those rows in the requested
    order from ``lookup`` (the same performer's customers: repeating the filters there would
    evaluate them again, e.g. a whole list).
    """

    def __init__(self, object_list, per_page, *, lookup=None, count=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.lookup = object_list if lookup is None else lookup
        if count is not None:
            self.count = count  # instead of Paginator's cached COUNT query

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        if top <= bottom:
            return self._get_page([], number, self)
        if bottom > self.count - top:  # nearer the end: read the mirrored order from its start
            window = queryset.reverse().values("member_name")[
                self.count - top : self.count - bottom
            ]
        else:
            window = queryset.values("member_name")[bottom:top]
        rows = self.lookup.filter(member_name__in=window).order_by(*queryset.query.order_by)
        return self._get_page(list(rows), number, self)


# The columns a performer may show, hide and order (F6); the customer column always shows.
COLUMN_KEYS = tuple(name for name in CustomerTable.base_columns if name != "select")
ALWAYS_SHOWN = "customer"
COLUMN_LABELS = {name: str(CustomerTable.base_columns[name].verbose_name) for name in COLUMN_KEYS}


def visible_columns(chosen: list[str] | tuple[str, ...]) -> list[str]:
    """The columns to show, in order, from a stored choice: unknown keys (a column since
    removed) drop out, the customer column is always there, and no choice means all."""
    keys = list(dict.fromkeys(key for key in chosen if key in COLUMN_KEYS))
    if not keys:
        return list(COLUMN_KEYS)
    if ALWAYS_SHOWN not in keys:
        keys.insert(0, ALWAYS_SHOWN)
    return keys


def table_options(columns: list[str]) -> dict:
    """``CustomerTable`` keyword arguments that show ``columns`` in that order."""
    return {
        "sequence": ["select", *columns],
        "exclude": [key for key in COLUMN_KEYS if key not in columns],
    }
