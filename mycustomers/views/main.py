"""My Customers main view (SPEC §3): the table, its CSV export, and the missed-call flag."""

from __future__ import annotations

from dataclasses import dataclass, fields
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterMixin, FilterView
from django_tables2 import SingleTableMixin

from lists.models import SmartList
from mycustomers.counts import cached
from mycustomers.export import csv_stream, export_query, header
from mycustomers.filter_panel import panel_groups
from mycustomers.filters import INITIALS, CustomerFilter, chip_text
from mycustomers.models import COUNTER_FIELDS, SavedView, new_since
from mycustomers.money import money
from mycustomers.numbers import ascii_int, page_number
from mycustomers.services import dismiss_missed_call
from mycustomers.summary import new_until, summary_items
from mycustomers.tables import (
    DEFAULT_SORT,
    FLAG_FORM_ID,
    ROW_FIELDS,
    CustomerTable,
    customer_cell,
    table_options,
    visible_columns,
)
from mycustomers.views.background import TEMPLATE as BANNER_TEMPLATE
from mycustomers.views.background import background_context
from mycustomers.views.mixins import PerformerCustomersMixin
from mycustomers.views.next_url import next_url

PER_PAGE_CHOICES = (10, 20, 30, 40, 50)
DEFAULT_PER_PAGE = 20
SORT_KEYS = frozenset(CustomerTable.base_columns) - {"select"}


def clean_sort(value: str | None) -> str:
    if value and value.removeprefix("-") in SORT_KEYS:
        return value
    return DEFAULT_SORT


def _per_page(value: str | None) -> int:
    number = ascii_int(value, max_digits=2)
    return number if number in PER_PAGE_CHOICES else DEFAULT_PER_PAGE


@dataclass(frozen=True)
class ViewState:
    """The view as it lives in the URL (M11), cleaned: garbage has fallen back to defaults
    (M13), so links built from it never carry it along. ``filters`` holds the range and
    state filters (F1) as URL pairs."""

    q: str = ""
    letter: str = ""
    list: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    # The smart list whose rules are being edited here (its id), kept by every link.
    smart: int = 0
    # The saved view shown (its id), or "all" for the unfiltered tab when a default exists.
    view: str = ""
    sort: str = DEFAULT_SORT
    per_page: int = DEFAULT_PER_PAGE
    page: int = 1

    @classmethod
    def from_request(cls, request, filterset, editing=None, view: str = "") -> ViewState:
        # With a filter in error, the valid ones stay: the page names the wrong one, and its
        # links (chips, "without it") keep the rest.
        kept = filterset.kept()
        cleaned = dict(kept)
        return cls(
            q=cleaned.get("q") or "",
            letter=cleaned.get("letter") or "",
            list=cleaned.get("list") or "",
            filters=tuple(pair for pair in kept if pair[0] not in _OWN_FIELDS),
            smart=editing.pk if editing else 0,
            view=view,
            sort=clean_sort(request.GET.get("sort")),
            per_page=_per_page(request.GET.get("per_page")),
            page=page_number(request.GET.get("page")),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.letter or self.list or self.filters)

    def params(self, **changes) -> list[tuple[str, str | int]]:
        """Non-default values in a fixed order; a new filter or sort starts at page 1.

        Runs for every link of the page: no new ViewState per link."""
        if changes.keys() - {"page"}:
            if changes.keys() - _DEFAULTS.keys():
                raise TypeError(f"Unknown view state: {sorted(changes.keys() - _DEFAULTS.keys())}")
            changes.setdefault("page", 1)
        params = []
        for key, default in _DEFAULTS.items():
            value = changes[key] if key in changes else getattr(self, key)
            if key == "filters":
                params.extend(value)
            elif value != default:
                params.append((key, value))
        return params

    def url(self, **changes) -> str:
        return "?" + urlencode(self.params(**changes))

    def without_filter(self, pair: tuple[str, str]) -> str:
        """This view without one of its filters (a chip's link)."""
        return self.url(filters=tuple(p for p in self.filters if p != pair))


# The view state's fields in URL order, with their defaults (left out of URLs).
_DEFAULTS = {field.name: field.default for field in fields(ViewState)}
# Filters the view state keeps in fields of their own.
_OWN_FIELDS = {"q", "letter", "list"}


class CustomerFilterMixin(PerformerCustomersMixin, FilterMixin):
    """The performer's customers through ``CustomerFilter``, and the cleaned view state."""

    filterset_class = CustomerFilter

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so that a bare /customers/ runs the defaults too (visible only, M1).
        return {**super().get_filterset_kwargs(filterset_class), "data": self.request.GET}

    def _smart_list_being_edited(self) -> SmartList | None:
        pk = ascii_int(self.request.GET.get("smart"))
        if pk is None:
            return None
        return SmartList.objects.for_performer(self.request.user).filter(pk=pk).first()

    def saved_views(self) -> list[SavedView]:
        """The performer's saved views (the tabs), cached until their data changes."""
        performer = self.request.user
        return cached(
            performer, ("saved views",), lambda: list(SavedView.objects.for_performer(performer))
        )

    def _saved_view(self) -> SavedView | None:
        pk = ascii_int(self.request.GET.get("view"))
        return next((view for view in self.saved_views() if view.pk == pk), None)

    def columns(self) -> list[str]:
        """The table's visible columns: the saved view's, or the performer's own (F6)."""
        view = self.saved_view
        return visible_columns(view.columns if view else self.request.user.columns)

    def filtered_customers(self):
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.editing = self._smart_list_being_edited()
        self.saved_view = self._saved_view()
        view = str(self.saved_view.pk) if self.saved_view else ""
        if not view and self.request.GET.get("view") == "all":
            view = "all"
        self.state = ViewState.from_request(self.request, self.filterset, self.editing, view)
        if self.filterset.is_valid():
            return self.filterset.qs
        return self.filterset.queryset.none()


class CustomerListView(CustomerFilterMixin, SingleTableMixin, FilterView):
    """``/customers/``: sortable, filterable, paginated table (M1–M13)."""

    template_name = "customers/customer_list.html"
    table_class = CustomerTable

    def get(self, request, *args, **kwargs):
        if not request.GET:
            default = next((view for view in self.saved_views() if view.is_default), None)
            if default is not None:
                return redirect(default.url)
        self.object_list = self.filtered_customers()
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        # Bad filter input (too long a search, a list that is not theirs) is a client error:
        # the page says what is wrong and shows no rows.
        status = 400 if self.filterset.errors else 200
        return self.render_to_response(context, status=status)

    def get_table(self, **kwargs):
        columns, sort = self.columns(), self.state.sort
        rows = self.object_list
        if sort.removeprefix("-") not in columns:
            # Sorted by a hidden column: the table cannot order by it, the queryset can.
            rows = rows.sorted_by(sort.removeprefix("-"), descending=sort.startswith("-"))
            sort = None
        table = self.table_class(rows, order_by=sort, **table_options(columns), **kwargs)
        table.request = self.request
        return table.paginate(
            per_page=self.state.per_page,
            page=self.state.page,
            lookup=self._page_lookup(),
            count=self._count(),
        )

    def _count(self) -> int:
        """How many rows the view has: read with the Total row's sums, in one pass."""
        return self._totals()["customers"]

    def _totals(self) -> dict:
        """The Total row's sums over every row of the view (F4), cached until the performer's
        customers change (or every time, for a view that changes with time alone)."""
        if not hasattr(self, "_totals_cache"):
            self._totals_cache = self._cached("totals", self.object_list.totals)
        return self._totals_cache

    def _cached(self, what: str, compute):
        if self.filterset.errors:
            return compute()
        key = (what, *self.filterset.cache_key())
        if self.filterset.ages():
            # Rows that change with time alone (New, Unassigned) change first when the
            # oldest new customer stops being new: the value is cached until then.
            until = new_until(self.request.user)
            key = (*key, until.isoformat() if until else None)
        return cached(self.request.user, key, compute)

    def _page_lookup(self):
        """Where a page's rows are fetched by member name: the performer's customers with the
        status this view shows (an index lookup each), not the filters once more."""
        customers = self.get_queryset().only(*ROW_FIELDS)
        if self.filterset.shows_blocked():
            return customers.blocked()
        return customers.visible()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state, table = self.state, context["table"]
        page = table.page
        count = page.paginator.count
        first_row = page.start_index()
        headers = table.headers(lambda sort: state.url(sort=sort))
        background = background_context(self.request)
        context.update(
            state=state,
            # Where actions return to (M11): this view, from cleaned values only.
            current_url=reverse("customers:list") + state.url(page=state.page),
            default_sort=DEFAULT_SORT,
            flag_form_id=FLAG_FORM_ID,
            list_choices=self.filterset.list_choices,
            list_label=self.filterset.list_label(state.list),
            headers=headers,
            initials=[
                (initial, state.url(letter=initial), initial == state.letter)
                for initial in INITIALS
            ],
            all_initials_url=state.url(letter=""),
            per_page_choices=PER_PAGE_CHOICES,
            # "41–60 of 1,234" (M5); len(page) would cost another COUNT.
            range_text=f"{first_row:,}–{min(first_row + state.per_page - 1, count):,} of {count:,}",
            page_links=self._page_links(page),
            export_url=reverse("customers:export") + state.url(page=1, per_page=DEFAULT_PER_PAGE),
            totals=self._totals_row(headers) if count else None,
            chips=self._chips(),
            editing=self.editing,
            tabs=self._tabs(),
            current_view=self.saved_view,
            table_columns=self.columns(),
            save_view_pairs=[
                *self.filterset.active(),
                *[(k, v) for k, v in state.params() if k in ("sort", "per_page")],
            ],
            columns_url=reverse("customers:columns")
            + "?"
            + urlencode(
                {"next": reverse("customers:list") + state.url(page=state.page), "view": state.view}
            ),
            view_filters=self.filterset.active(),
            # Checked rows stay checked across the pages of one view (F8): its filters.
            selection_view=urlencode(self.filterset.active()),
            filter_groups=panel_groups(self.filterset.form, self.request.user),
            filter_errors=self.filterset.error_labels(),
            filters_open=bool(state.filters) or bool(self.filterset.errors),
            filters_count=len(state.filters),
            summary=summary_items(self.request.user),
            **background,
            background_banner=render_to_string(BANNER_TEMPLATE, background, self.request),
        )
        # The body in Jinja2, the page around it (base.html) in Django's templates: see
        # mycustomers.jinja2.
        body = engines["jinja2"].get_template("customers/customer_list_body.jinja")
        context["main_body"] = mark_safe(body.render(context, self.request))  # autoescaped
        return context

    def _totals_row(self, headers) -> list[tuple[str, str]]:
        """(css, text) per cell after the first ("Total"), in column order."""
        totals = self._totals()
        average = totals["earnings"] / totals["customers"] if totals["customers"] else 0
        cells = {
            "customer": f"{totals['customers']:,} customers · average {money(average)}",
            **{field: f"{totals[field]:,}" for field in COUNTER_FIELDS},
            "earnings": money(totals["earnings"]),
        }
        return [(header.css, cells.get(header.name, "")) for header in headers]

    def _tabs(self) -> list[tuple[str, str, bool, bool]]:
        """(name, link, current, is default) per tab: all customers, then each saved view."""
        views = self.saved_views()
        if not views:
            return []
        has_default = any(view.is_default for view in views)
        current = self.saved_view.pk if self.saved_view else None
        all_url = reverse("customers:list") + ("?view=all" if has_default else "")
        return [
            ("All customers", all_url, current is None and not self.state.is_filtered, False),
            *((view.name, view.url, view.pk == current, view.is_default) for view in views),
        ]

    def _chips(self) -> list[tuple[str, str]]:
        """(text, link) for each active filter; the link is this view without it (F2)."""
        form = self.filterset.form
        return [
            (chip_text(form, *pair), self.state.without_filter(pair)) for pair in self.state.filters
        ]

    def _page_links(self, page) -> dict:
        number, last = page.number, page.paginator.num_pages
        window = range(max(1, number - 2), min(last, number + 2) + 1)
        return {
            "first": self.state.url(page=1) if number > 1 else None,
            "previous": self.state.url(page=number - 1) if number > 1 else None,
            "next": self.state.url(page=number + 1) if number < last else None,
            "last": self.state.url(page=last) if number < last else None,
            "numbers": [(n, self.state.url(page=n), n == number) for n in window],
            "gap_before": window.start > 1,
            "gap_after": window.stop <= last,
            "count": last,
        }


class CustomerExportView(CustomerFilterMixin, View):
    """``/customers/export/``: every row of the current view (all pages) as CSV (M14), in the
    view's order, streamed by PostgreSQL (mycustomers.export)."""

    def get(self, request, *args, **kwargs):
        customers = self.filtered_customers()
        if self.filterset.errors:
            return redirect(reverse("customers:list") + "?" + request.GET.urlencode())
        key = self.state.sort.removeprefix("-")
        rows = customers.sorted_by(key, descending=self.state.sort.startswith("-"))
        columns = self.columns()
        # The performer's zone and day now: the rows stream after the view (and the middleware
        # that activates the zone) has returned.
        query = export_query(
            rows,
            columns,
            today=timezone.localdate(),
            since=new_since(),
            zone=timezone.get_current_timezone(),
        )
        response = StreamingHttpResponse(
            csv_stream(query, head=header(columns)),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"my-customers-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class DismissMissedCallView(PerformerCustomersMixin, SingleObjectMixin, View):
    """POST ``/customers/<pk>/dismiss-flag/`` (M7). With htmx the answer is the updated
    customer cell; without JavaScript, a redirect back to the same view."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        customer = self.get_object()  # another performer's customer: 404
        dismiss_missed_call(performer=request.user, customer=customer)
        if request.htmx:
            return HttpResponse(customer_cell(self.get_object()))
        return HttpResponseRedirect(
            next_url(request, request.POST.get("next"), reverse("customers:list"))
        )
