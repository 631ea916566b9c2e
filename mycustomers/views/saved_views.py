"""Saved views (tabs above the main table) and the column chooser (F6)."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from mycustomers.errors import ActionError
from mycustomers.filters import CustomerFilter
from mycustomers.forms import ColumnsForm
from mycustomers.models import Customer, SavedView
from mycustomers.numbers import ascii_int
from mycustomers.saved_views import delete_view, make_default, save_view, set_columns
from mycustomers.tables import visible_columns
from mycustomers.views.main import DEFAULT_SORT, PER_PAGE_CHOICES, clean_sort
from mycustomers.views.mixins import OwnObjectMixin
from mycustomers.views.next_url import next_url

MAIN = "customers:list"


def view_query(data, performer) -> str:
    """A main view's state from a form (its filters, sort, rows per page) as a URL query."""
    view = CustomerFilter(data, queryset=Customer.objects.none(), performer=performer)
    if not view.is_valid():
        raise forms.ValidationError(f"Correct {', '.join(view.error_labels())} first.")
    pairs = view.active()
    if (sort := clean_sort(data.get("sort"))) != DEFAULT_SORT:
        pairs.append(("sort", sort))
    if (per_page := data.get("per_page", "")) in {str(n) for n in PER_PAGE_CHOICES}:
        pairs.append(("per_page", per_page))
    return urlencode(pairs)


class OwnSavedViewMixin(OwnObjectMixin):
    """The performer's own saved view from the URL."""

    owned_model = SavedView

    @property
    def saved_view(self) -> SavedView:
        return self.owned


class SavedViewCreateView(LoginRequiredMixin, View):
    """POST from the main view: save what it shows (and its columns) as a tab."""

    http_method_names = ["post"]

    def post(self, request):
        back = next_url(request, request.POST.get("next"), reverse(MAIN))
        columns = request.POST.getlist("columns") or request.user.columns
        try:
            view = save_view(
                performer=request.user,
                name=request.POST.get("name", ""),
                query=view_query(request.POST, request.user),
                columns=columns,
                default=request.POST.get("default") == "1",
            )
        except (ActionError, forms.ValidationError) as error:
            text = " ".join(error.messages) if hasattr(error, "messages") else str(error)
            messages.error(request, f"The view was not saved: {text}")
            return HttpResponseRedirect(back)
        messages.success(request, f"Saved the view “{view.name}”.")
        return redirect(view.url)


class SavedViewDefaultView(OwnSavedViewMixin, View):
    """POST: this view becomes (or stops being) the one /customers/ opens with."""

    http_method_names = ["post"]

    def post(self, request, pk):
        view = self.saved_view
        if view.is_default:
            make_default(performer=request.user, view=None)
            messages.success(request, f"“{view.name}” is no longer the default view.")
            return redirect(view.url)
        make_default(performer=request.user, view=view)
        messages.success(request, f"My Customers now opens with “{view.name}”.")
        return redirect(view.url)


class SavedViewDeleteView(OwnSavedViewMixin, TemplateView):
    template_name = "customers/saved_view_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(saved_view=self.saved_view, **kwargs)

    def post(self, request, pk):
        delete_view(performer=request.user, view=self.saved_view)
        messages.success(
            request, f"Deleted the view “{self.saved_view.name}”. No customer was changed."
        )
        return redirect(reverse(MAIN) + "?view=all")


class ColumnsView(LoginRequiredMixin, FormView):
    """Show, hide and order the main table's columns: the performer's own, or a saved
    view's (``?view=<id>``). Plain form fields: it works without JavaScript."""

    template_name = "customers/columns.html"
    form_class = ColumnsForm

    @cached_property
    def saved_view(self) -> SavedView | None:
        pk = ascii_int(self.request.GET.get("view"))
        if pk is None:
            return None
        return get_object_or_404(SavedView.objects.for_performer(self.request.user), pk=pk)

    def get_form_kwargs(self):
        stored = self.saved_view.columns if self.saved_view else self.request.user.columns
        return {**super().get_form_kwargs(), "columns": visible_columns(stored)}

    def get_context_data(self, **kwargs):
        back = next_url(self.request, self.request.GET.get("next"), reverse(MAIN))
        return super().get_context_data(back=back, saved_view=self.saved_view, **kwargs)

    def form_valid(self, form):
        columns = form.chosen()
        if self.saved_view:
            SavedView.objects.for_performer(self.request.user).filter(pk=self.saved_view.pk).update(
                columns=columns
            )
            messages.success(self.request, f"Updated the columns of “{self.saved_view.name}”.")
        else:
            set_columns(performer=self.request.user, columns=columns)
            messages.success(self.request, "Updated the table's columns.")
        return HttpResponseRedirect(self.get_context_data()["back"])

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
