"""Tables of one customer's detail and history pages (SPEC D5, D7, D10).

Each table has its own query-string prefix (``events-``, ``feedback-``, ``offers-``) so
several sort and page independently on one page. Cells are ``render_FOO`` methods returning
``format_html`` (no template per cell) and the table template is a lean one of ours.
"""

from __future__ import annotations

import functools
import inspect
from datetime import datetime
from operator import attrgetter

import django_tables2 as tables
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from contacts.types import ContactType
from mycustomers.money import money
from mycustomers.numbers import page_number
from mycustomers.tables import CONTACT_TYPE_LABELS, url_format

TABLE_TEMPLATE = "customers/_detail_table.html"
TYPES_BY_LABEL = [code for code, _ in sorted(ContactType.choices, key=lambda c: str(c[1]))]


def when(value: datetime | None, *, time: bool = True) -> str:
    """``<time>`` reading "Mar 4, 2025 14:05" (or without the time): strftime, as the main
    table does, rather than Django's date format (several times slower a call). The time is
    the performer's; the page says which zone that is (customers/_time_zone_note.html), as
    a label on every row would widen the tables past a phone's width."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    text = f"{local:%b} {local.day}, {local.year}" + (f" {local:%H:%M}" if time else "")
    # Both strings are built from numbers and month names: nothing to escape.
    return mark_safe(f'<time datetime="{local.isoformat()}">{text}</time>')


class DetailTable(tables.Table):
    """Shared behaviour: one sort key at a time, stable order (id breaks ties)."""

    class Meta:
        template_name = TABLE_TEMPLATE
        orderable = True
        attrs = {"class": "detail-table"}

    def __init__(self, *args, caption: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption

    def head_cells(self) -> list[str]:
        """The header cells: sort links that keep the rest of the query string (other
        tables' state) and go back to page 1, with ``aria-sort`` on the sorted column."""
        query = self.request.GET.copy()
        query.pop(self.prefixed_page_field, None)
        cells = []
        for column in self.columns:
            th_class = column.attrs["th"].get("class") or ""
            classes = " ".join(c for c in th_class.split() if c in {"num"})
            sort = ""
            if column.is_ordered:
                descending = column.order_by_alias.is_descending
                sort = "descending" if descending else "ascending"
            if not column.orderable:
                cells.append(
                    format_html('<th scope="col" class="{}">{}</th>', classes, column.header)
                )
                continue
            query[self.prefixed_order_by_field] = column.order_by_alias.next
            cells.append(
                format_html(
                    '<th scope="col" class="{}"{}><a href="?{}">{}{}</a></th>',
                    classes,
                    format_html(' aria-sort="{}"', sort) if sort else "",
                    query.urlencode(),
                    column.header,
                    format_html(
                        '<span aria-hidden="true"> {}</span>', "▼" if sort == "descending" else "▲"
                    )
                    if sort
                    else "",
                )
            )
        return cells

    def page_rows(self) -> list[str]:
        """The current page's ``<tr>`` rows as HTML.

        The same ``render_FOO`` methods tables2 would call, without its per-cell machinery
        (accessor introspection, attribute recomputation, signature matching) or a template
        lookup per cell, which cost about ten times the rendering itself.
        """
        columns = []
        for bound in self.columns:
            render = getattr(self, f"render_{bound.name}", None)
            wants = _parameters(getattr(type(self), f"render_{bound.name}", None))
            td_class = bound.attrs["td"].get("class") or ""
            columns.append(
                (
                    format_html(' class="{}"', "num") if "num" in td_class.split() else "",
                    _getter(bound.accessor),
                    bound.column.empty_values,
                    bound.default,
                    render,
                    wants,
                )
            )
        rows = []
        for record in (row.record for row in self.page.object_list):
            cells = []
            for attrs, get, empty_values, default, render, wants in columns:
                value = get(record)
                if value in empty_values:
                    html = conditional_escape(default)
                elif render is None:
                    html = conditional_escape(value)
                else:
                    kwargs = {"value": value, "record": record}
                    html = conditional_escape(render(**{k: kwargs[k] for k in wants}))
                cells.append(f"<td{attrs}>{html}</td>")
            # Safe: every cell went through conditional_escape, attrs are ours.
            rows.append(mark_safe(f'<tr data-id="{int(record.pk)}">{"".join(cells)}</tr>'))
        return rows


@functools.cache
def _parameters(render) -> frozenset[str]:
    """The arguments a ``render_FOO`` method takes (``value``, ``record``), read once."""
    if render is None:
        return frozenset()
    return frozenset(inspect.signature(render).parameters) - {"self"}


def _getter(accessor: str):
    """Read ``a__b`` from a record; None for a computed column with no attribute."""
    get = attrgetter(accessor.replace("__", "."))

    def read(record):
        try:
            return get(record)
        except AttributeError:
            return None

    return read


class EventTable(DetailTable):
    occurred_at = tables.Column("Date", order_by=("occurred_at", "id"))
    type = tables.Column("Type")
    quantity = tables.Column(
        "Qty", order_by=("quantity", "id"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    amount = tables.Column(
        "Amount", order_by=("amount", "id"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    reference = tables.Column("Reference", default="—")
    summary = tables.Column("Summary", default="")

    class Meta(DetailTable.Meta):
        prefix = "events-"
        order_by = "-occurred_at"
        empty_text = "No contacts yet."
        per_page = 20

    def render_occurred_at(self, value):
        return when(value)

    def render_type(self, record):
        # What get_type_display() reads, without rebuilding the choices' dict per row.
        return CONTACT_TYPE_LABELS.get(record.type, record.type)

    @cached_property
    def _purchase_url(self) -> str:
        return url_format("customers:purchase", "customer", "pk")

    def render_amount(self, record):
        if not record.is_paid:
            return money(record.amount)
        return format_html(
            '<a href="{}">{}<span class="visually-hidden"> – purchase details</span></a>',
            self._purchase_url.format(customer=record.customer_id, pk=record.pk),
            money(record.amount),
        )

    def order_type(self, queryset: QuerySet, is_descending: bool):
        # By the label the performer reads, not the code: each code's rank among the labels
        # (small integers sort faster than the labels themselves).
        rank = Case(
            *(When(type=code, then=Value(i)) for i, code in enumerate(TYPES_BY_LABEL)),
            output_field=IntegerField(),
        )
        sign = "-" if is_descending else ""
        return queryset.annotate(type_rank=rank).order_by(f"{sign}type_rank", f"{sign}id"), True

    def order_reference(self, queryset: QuerySet, is_descending: bool):
        # Events without a reference go last either way.
        reference = (
            F("reference").desc(nulls_last=True)
            if is_descending
            else F("reference").asc(nulls_last=True)
        )
        return queryset.order_by(reference, "-id" if is_descending else "id"), True

    def order_summary(self, queryset: QuerySet, is_descending: bool):
        sign = "-" if is_descending else ""
        return queryset.order_by(f"{sign}summary", f"{sign}id"), True


class FeedbackTable(DetailTable):
    rating = tables.Column("Rating", order_by=("rating", "id"))
    comment = tables.Column("Comment", default="", order_by=("comment", "id"))
    created_at = tables.Column("Date", order_by=("created_at", "id"))

    class Meta(DetailTable.Meta):
        prefix = "feedback-"
        order_by = "-created_at"
        empty_text = "No feedback from this customer yet."
        per_page = 10

    def render_rating(self, value):
        return format_html(
            '<span class="stars" aria-hidden="true">{}{}</span> {} / 5',
            "★" * value,
            "☆" * (5 - value),
            value,
        )

    def render_created_at(self, value):
        return when(value, time=False)


class OfferTable(DetailTable):
    sent_at = tables.Column("Sent", order_by=("sent_at", "id"))
    value = tables.Column(
        "Value", order_by=("value", "id"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    expires_at = tables.Column("Expires", order_by=("expires_at", "id"), default="—")
    status = tables.Column("Status", empty_values=(), orderable=False)
    message = tables.Column("Message", default="", orderable=False)

    class Meta(DetailTable.Meta):
        prefix = "offers-"
        order_by = "-sent_at"
        empty_text = "No offers sent to this customer yet."
        per_page = 20

    def render_sent_at(self, value):
        return when(value, time=False)

    def render_value(self, value):
        return money(value)

    def render_expires_at(self, value):
        return when(value, time=False)

    def render_status(self, record):
        if record.redeemed_at:
            return format_html("Redeemed {}", when(record.redeemed_at, time=False))
        if record.expires_at and record.expires_at <= timezone.now():
            return "Expired"
        return "Open"


class KnownCountPaginator(Paginator):
    """A paginator told its count, when another query already counted the rows."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def configure(
    request, table: DetailTable, *, per_page: int | None = None, count: int | None = None
) -> DetailTable:
    """Sort and paginate ``table`` from the request, forgiving bad values.

    Unlike ``RequestConfig``: one sort key (a crafted ``a,b,c`` list is cut to its first
    key), an unknown key falls back to the default order, ``per_page`` is fixed (never read
    from the query), and page 0, negative or non-numeric pages show page 1, pages past the
    end the last page. ``count``, when known, saves the COUNT query.
    """
    table.request = request
    sort = request.GET.get(table.prefixed_order_by_field, "")
    if sort:
        table.order_by = sort.split(",")[:1]
        if not table.order_by:
            table.order_by = table._meta.order_by
    page = page_number(request.GET.get(table.prefixed_page_field))
    options = {"per_page": per_page or table._meta.per_page}
    if count is not None:
        options |= {"paginator_class": KnownCountPaginator, "count": count}
    try:
        table.paginate(page=page, **options)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, **options)
    return table
