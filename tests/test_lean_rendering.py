"""The lean request path (issue 21) renders byte for byte what Django's stock path renders:
the remembered widgets (mycustomers.renderers) against Django's own form renderer, the
cached Filters panel (mycustomers.filter_panel) against its bound fields, remembered
{% url %} tags (mycustomers.templatetags.remembered_urls) against Django's, URLs
formatted from one reversed URL against reverse()."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.forms.renderers import get_default_renderer
from django.http import QueryDict
from django.template import engines
from django.urls import reverse, set_script_prefix
from django.utils.safestring import mark_safe

from contacts.models import ContactEvent
from contacts.types import ContactType
from lists.models import CustomerList, SmartList
from lists.services import set_customer_lists
from mycustomers.detail_tables import EventTable
from mycustomers.filters import CustomerFilter, filter_groups
from mycustomers.models import Customer
from mycustomers.renderers import CachedWidgetRenderer, frozen
from mycustomers.tables import url_format
from mycustomers.templatetags.remembered_urls import remembered_reverse
from mycustomers.views import main
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db

STOCK_RENDERER = "django.forms.renderers.DjangoTemplates"
# Each request masks the CSRF token anew, and a form sent once carries a new token.
_TOKEN = re.compile(
    r"\b[A-Za-z0-9]{64}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)

MAIN_VIEWS = [
    "/customers/",
    "/customers/?sort=-earnings&per_page=50",
    # Every kind of filter panel widget with a value.
    "/customers/?quiet_min=3&contact_after=2020-01-01&earnings_min=1.50&live_calls_max=9"
    "&type=chat&type=call_received&follow_up=none&missed=1&segment=Champions",
    # Values in error: the widgets say so (aria-invalid, aria-describedby).
    "/customers/?quiet_min=x&contact_before=2024-02-30&earnings_min=-1&type=nope&segment=zz",
]


@pytest.fixture
def book(owner):
    """Customers with flags, lists (the Not in list choices) and a smart list."""
    alice = make_customer(owner, "alice", amount=Decimal("12.50"))
    add_event(owner, "bob", ContactType.CHAT)
    make_customer(owner, "carol")
    Customer.objects.filter(pk=alice.pk).update(has_missed_call=True, nickname="Al <b>")
    vip = CustomerList.objects.create(performer=owner, name="VIP & friends")
    set_customer_lists(performer=owner, customers=Customer.objects.filter(pk=alice.pk), lists=[vip])
    SmartList.objects.create(performer=owner, name="Big", rules="earnings_min=10")
    return alice


def stock_path(settings, monkeypatch) -> None:
    """Django's form renderer and {% url %} tag, and the Filters panel's bound fields."""
    settings.FORM_RENDERER = STOCK_RENDERER
    settings.TEMPLATES = [
        {**engine, "OPTIONS": {k: v for k, v in engine["OPTIONS"].items() if k != "builtins"}}
        for engine in settings.TEMPLATES
    ]
    monkeypatch.setattr(main, "panel_groups", lambda form, performer: filter_groups(form))
    assert "mycustomers.templatetags.remembered_urls" not in engines["django"].engine.builtins


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 400), url
    return _TOKEN.sub("TOKEN", response.content.decode())


@pytest.mark.parametrize("url", MAIN_VIEWS)
def test_a_main_view_page_is_the_html_django_renders(
    owner_client, book, settings, monkeypatch, url
):
    lean = [page(owner_client, url) for _ in range(2)]  # the widgets' HTML remembered
    assert get_default_renderer().widgets
    stock_path(settings, monkeypatch)
    stock = page(owner_client, url)

    assert lean[0] == stock
    assert lean[1] == stock
    assert 'name="earnings_min"' in stock


@pytest.mark.parametrize("path", ["", "history/"])
def test_the_customer_pages_are_the_html_django_renders(
    owner_client, book, settings, monkeypatch, path
):
    url = f"/customers/{book.pk}/{path}"
    lean = [page(owner_client, url) for _ in range(2)]
    stock_path(settings, monkeypatch)
    assert lean == [page(owner_client, url)] * 2


def test_keys_tell_apart_what_renders_differently():
    assert frozen({"checked": True}) != frozen({"checked": 1})
    assert frozen("<b>") != frozen(mark_safe("<b>"))
    assert frozen({"a": "1", "b": "2"}) != frozen({"b": "2", "a": "1"})  # attribute order
    assert frozen(["a", "b"]) != frozen({"a": "b"})
    with pytest.raises(TypeError):
        frozen({"value": object()})


def test_a_widget_with_a_context_it_cannot_key_is_rendered_every_time(monkeypatch):
    renderer = CachedWidgetRenderer()
    context = {"widget": {"name": "x", "value": object(), "attrs": {}, "type": "text"}}
    html = renderer.render("django/forms/widgets/input.html", context)
    assert html.startswith('<input type="text" name="x"')
    assert renderer.widgets == {}


def test_hidden_inputs_are_not_remembered():
    """They carry one-off values (a form's send-once token): each would be a new entry."""
    renderer = CachedWidgetRenderer()
    context = {"widget": {"name": "token", "value": "f0c6", "attrs": {}, "type": "hidden"}}
    assert 'value="f0c6"' in renderer.render("django/forms/widgets/hidden.html", context)
    assert renderer.widgets == {}


def test_the_remembered_widgets_are_bounded(monkeypatch):
    renderer = CachedWidgetRenderer()
    monkeypatch.setattr(renderer, "max_entries", 3)
    for value in range(5):
        context = {"widget": {"name": "n", "value": str(value), "attrs": {}, "type": "text"}}
        assert f'value="{value}"' in renderer.render("django/forms/widgets/input.html", context)
    assert len(renderer.widgets) <= 3


@pytest.mark.parametrize("pk", [1, 42, 98765432, 987654321, 987654322, 10**12])
def test_row_urls_formatted_from_one_reversed_url_are_the_reversed_urls(pk):
    assert url_format("customers:detail", "pk").format(pk=pk) == reverse(
        "customers:detail", args=[pk]
    )
    purchase = url_format("customers:purchase", "customer", "pk")
    assert purchase.format(customer=7, pk=pk) == reverse("customers:purchase", args=[7, pk])
    assert purchase.format(customer=pk, pk=3) == reverse("customers:purchase", args=[pk, 3])


def test_the_event_type_cell_reads_as_get_type_display(owner, book):
    for event in ContactEvent.objects.filter(performer=owner):
        assert EventTable([]).render_type(event) == event.get_type_display()


def test_filter_forms_are_shared_only_between_equal_list_choices(owner, colleague):
    mine = CustomerList.objects.create(performer=owner, name="VIP")
    theirs = CustomerList.objects.create(performer=colleague, name="VIP")

    def form(performer, list_pk):
        data = QueryDict(f"list={list_pk}&not_list={list_pk}")
        return CustomerFilter(data, queryset=Customer.objects.none(), performer=performer).form

    own, foreign = form(owner, mine.pk), form(owner, theirs.pk)
    assert type(own) is type(foreign)
    assert own.fields["earnings_min"] is not foreign.fields["earnings_min"]
    assert own.is_valid() and not foreign.is_valid()
    assert set(foreign.errors) == {"list", "not_list"}
    assert type(form(colleague, theirs.pk)) is not type(own)
    assert form(colleague, theirs.pk).is_valid()


def test_filter_sets_copy_their_filters_and_share_none_of_their_choices(owner, colleague):
    CustomerList.objects.create(performer=owner, name="Mine")
    CustomerList.objects.create(performer=colleague, name="Theirs")
    base_extra = {name: dict(f.extra) for name, f in CustomerFilter.base_filters.items()}

    def filters(performer):
        return CustomerFilter(QueryDict(), queryset=Customer.objects.none(), performer=performer)

    own, foreign = filters(owner), filters(colleague)
    assert own.filters["list"] is not foreign.filters["list"]
    assert own.filters["list"].parent is own and foreign.filters["list"].parent is foreign
    assert own.filters["list"].filter.method == own.filter_list  # its method, on its filter set
    assert "Mine" in str(own.filters["not_list"].extra["choices"])
    assert "Mine" not in str(foreign.filters["not_list"].extra["choices"])
    assert {name: f.extra for name, f in CustomerFilter.base_filters.items()} == base_extra


def test_a_field_in_error_marks_its_own_widget_only(owner):
    def form(query):
        return CustomerFilter(
            QueryDict(query), queryset=Customer.objects.none(), performer=owner
        ).form

    wrong, right = form("earnings_min=x"), form("earnings_min=1")
    filter_groups(wrong)
    filter_groups(right)
    assert wrong.fields["earnings_min"].widget.attrs["aria-invalid"] == "true"
    assert "aria-invalid" not in right.fields["earnings_min"].widget.attrs
    assert "aria-invalid" not in form("").fields["earnings_min"].widget.attrs
    assert 'aria-invalid="true"' not in str(form("earnings_min=2")["earnings_min"])


def test_a_remembered_url_is_keyed_by_what_reverse_reads(owner):
    assert remembered_reverse("customers:detail", [5], {}, None) == "/customers/5/"
    assert remembered_reverse("customers:detail", [], {"pk": 6}, None) == "/customers/6/"
    set_script_prefix("/app/")
    try:
        assert remembered_reverse("customers:detail", [5], {}, None) == "/app/customers/5/"
    finally:
        set_script_prefix("/")
    assert remembered_reverse("customers:detail", [5], {}, None) == "/customers/5/"


def test_model_instances_as_url_arguments_are_reversed_every_time(monkeypatch):
    class Named:  # str() can change while the object stays the same
        text = "1"

        def __str__(self):
            return self.text

    arg = Named()
    assert remembered_reverse("customers:detail", [arg], {}, None) == "/customers/1/"
    arg.text = "2"
    assert remembered_reverse("customers:detail", [arg], {}, None) == "/customers/2/"
