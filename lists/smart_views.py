"""Smart lists (F5): saved filters of the main view, created from it, listed on the lists
page with live counts, renamed, re-ruled and deleted here. Members are never stored."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from lists.forms import ListNameForm
from lists.models import SmartList
from lists.services import (
    add_smart_list_preset,
    create_smart_list,
    delete_smart_list,
    rename_smart_list,
    set_smart_list_rules,
)
from mycustomers.errors import ActionError
from mycustomers.filters import smart_list_rules
from mycustomers.views.mixins import OwnObjectMixin
from mycustomers.views.next_url import next_url


def opened(smart_list: SmartList) -> str:
    """The main view filtered by the smart list."""
    return f"{reverse('customers:list')}?list={smart_list.key}"


class OwnSmartListMixin(OwnObjectMixin):
    """The performer's own smart list from the URL."""

    owned_model = SmartList

    @property
    def smart_list(self) -> SmartList:
        return self.owned

    def get_context_data(self, **kwargs):
        return super().get_context_data(smart_list=self.smart_list, **kwargs)


class SmartListCreateView(LoginRequiredMixin, View):
    """POST from the main view: its current filters, saved under a name."""

    http_method_names = ["post"]

    def post(self, request):
        back = next_url(request, request.POST.get("next"), reverse("customers:list"))
        form = ListNameForm(request.POST, performer=request.user)
        try:
            if not form.is_valid():
                raise ActionError(" ".join(form.errors["name"]))
            rules = smart_list_rules(request.POST, request.user)
            smart_list = create_smart_list(
                performer=request.user, name=form.cleaned_data["name"], rules=rules
            )
        except (ActionError, forms.ValidationError) as error:
            messages.error(request, f"The smart list was not saved: {' '.join(_texts(error))}")
            return HttpResponseRedirect(back)
        messages.success(request, f"Saved the smart list “{smart_list.name}”.")
        return redirect(opened(smart_list))


class SmartListPresetView(LoginRequiredMixin, View):
    """POST from the lists page: add one of the ready-made smart lists."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            smart_list = add_smart_list_preset(
                performer=request.user, name=request.POST.get("name", "")
            )
        except ActionError as error:
            messages.error(request, str(error))
            return redirect("lists:index")
        messages.success(request, f"Added the smart list “{smart_list.name}”.")
        return redirect("lists:index")


class SmartListRulesView(OwnSmartListMixin, View):
    """POST from the main view while editing a smart list: its filters become the rules."""

    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            rules = smart_list_rules(request.POST, request.user)
        except forms.ValidationError as error:
            messages.error(request, f"The rules were not changed: {' '.join(_texts(error))}")
            return HttpResponseRedirect(
                next_url(request, request.POST.get("next"), reverse("customers:list"))
            )
        set_smart_list_rules(performer=request.user, smart_list=self.smart_list, rules=rules)
        messages.success(request, f"Updated the rules of “{self.smart_list.name}”.")
        return redirect(opened(self.smart_list))


class SmartListRenameView(OwnSmartListMixin, FormView):
    template_name = "lists/list_form.html"
    form_class = ListNameForm
    extra_context = {"title": "Rename a smart list", "submit_label": "Rename"}

    def get_initial(self):
        return {"name": self.smart_list.name}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "performer": self.request.user,
            "smart_list": self.smart_list,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer_list=self.smart_list, **kwargs)

    def form_valid(self, form):
        try:
            old = rename_smart_list(
                performer=self.request.user,
                smart_list=self.smart_list,
                name=form.cleaned_data["name"],
            )
        except ActionError as error:
            form.add_error("name", str(error))
            return self.form_invalid(form)
        messages.success(
            self.request, f"Renamed the smart list “{old}” to “{self.smart_list.name}”."
        )
        return redirect("lists:index")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SmartListDeleteView(OwnSmartListMixin, TemplateView):
    template_name = "lists/smart_list_confirm_delete.html"

    def post(self, request, pk):
        delete_smart_list(performer=request.user, smart_list=self.smart_list)
        messages.success(
            request, f"Deleted the smart list “{self.smart_list.name}”. No customer was changed."
        )
        return redirect("lists:index")


def _texts(error: Exception) -> list[str]:
    return list(error.messages) if isinstance(error, forms.ValidationError) else [str(error)]
