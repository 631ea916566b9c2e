"""Customer lists management (SPEC §6): the lists page, create, rename, delete, and a list's
members page (add by member name, remove selected). Every write is a POST that ends in a
redirect with a message; failed forms re-render with status 400."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView, View

from lists.forms import (
    AddMembersForm,
    ChooseListForm,
    ListNameForm,
    RemoveMembersForm,
)
from lists.models import (
    SMART_LIST_PRESETS,
    CustomerList,
    DefaultList,
    SmartList,
    in_list,
    list_members,
)
from lists.services import add_to_list, create_list, remove_from_list
from mycustomers.errors import ActionError
from mycustomers.filters import rules_summary, smart_list_counts
from mycustomers.jobs import MembersUpdate, delete_list, rename_list
from mycustomers.models import Customer, default_list_counts
from mycustomers.numbers import page_number
from mycustomers.views.background import background_context
from mycustomers.views.mixins import OwnObjectMixin

MEMBERS_PER_PAGE = 50
MAX_SEARCH = 100

DEFAULT_LIST_HELP = {
    DefaultList.NEW: "First contact in the last {days} days, not yet mailed or put in a list",
    DefaultList.UNASSIGNED: "In none of your lists",
    DefaultList.BLOCKED: "Cannot call or mail you; in no other list",
    DefaultList.AFFILIATE: "Joined through your affiliate link",
}


@dataclass(frozen=True)
class DefaultListRow:
    key: str
    name: str
    help: str
    member_count: int


class OwnListMixin(OwnObjectMixin):
    """The performer's own list from the URL."""

    owned_model = CustomerList

    @property
    def customer_list(self) -> CustomerList:
        return self.owned

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer_list=self.customer_list, **kwargs)


class ListIndexView(LoginRequiredMixin, TemplateView):
    """Default lists first, then the performer's lists alphabetically, with member counts:
    a constant number of queries whatever the number of lists (mostly served from the
    count cache)."""

    template_name = "lists/list_index.html"

    def get_context_data(self, **kwargs):
        performer = self.request.user
        counts = default_list_counts(performer)
        days = settings.MYCUSTOMERS["NEW_CUSTOMER_DAYS"]
        default_lists = [
            DefaultListRow(key, label, DEFAULT_LIST_HELP[key].format(days=days), counts[key])
            for key, label in DefaultList.choices
            if key != DefaultList.AFFILIATE or counts["affiliate_any"]
        ]
        smart_lists = list(SmartList.objects.for_performer(performer))
        counts = smart_list_counts(performer, smart_lists)
        for smart_list in smart_lists:
            smart_list.member_count = counts[smart_list.pk]
            smart_list.summary = rules_summary(smart_list.rules, performer)
        names = {lst.name.casefold() for lst in smart_lists}
        return super().get_context_data(
            **background_context(self.request),
            default_lists=default_lists,
            custom_lists=CustomerList.objects.with_member_counts(performer),
            smart_lists=smart_lists,
            presets=[name for name in SMART_LIST_PRESETS if name.casefold() not in names],
            create_form=ListNameForm(performer=performer),
            **kwargs,
        )


class ListCreateView(LoginRequiredMixin, FormView):
    template_name = "lists/list_form.html"
    form_class = ListNameForm
    extra_context = {"title": "Create a list", "submit_label": "Create List"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "performer": self.request.user}

    def form_valid(self, form):
        try:
            customer_list = create_list(performer=self.request.user, name=form.cleaned_data["name"])
        except ActionError as exc:  # a concurrent create of the same name won
            form.add_error("name", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Created the list “{customer_list.name}”.")
        return redirect("lists:index")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ListChooseView(LoginRequiredMixin, View):
    """Where the lists page's radio buttons + Rename / Delete go (a GET form, so it works
    without JavaScript): on to the chosen list's rename or delete page."""

    def get(self, request):
        form = ChooseListForm(request.GET, performer=request.user)
        if form.is_valid():
            action = form.cleaned_data["action"]
            return redirect(f"lists:{action}", pk=form.cleaned_data["list"].pk)
        if form.is_unknown_list:
            raise Http404("No such list")
        messages.error(request, "Select one of your lists, then Rename or Delete.")
        return redirect("lists:index")


class ListRenameView(OwnListMixin, FormView):
    template_name = "lists/list_form.html"
    form_class = ListNameForm
    extra_context = {"title": "Rename a list", "submit_label": "Rename List"}

    def get_initial(self):
        return {"name": self.customer_list.name}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "performer": self.request.user,
            "customer_list": self.customer_list,
        }

    def form_valid(self, form):
        old_name, name = self.customer_list.name, form.cleaned_data["name"]
        if name == old_name:
            messages.info(self.request, f"The list “{name}” keeps its name.")
            return redirect("lists:index")
        try:
            update = rename_list(
                performer=self.request.user, customer_list=self.customer_list, name=name
            )
        except ActionError as exc:
            form.add_error("name", str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request, f"Renamed the list “{old_name}” to “{name}”.{_in_background(update)}"
        )
        return redirect("lists:index")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ListDeleteView(OwnListMixin, TemplateView):
    template_name = "lists/list_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(member_count=self.member_count(), **kwargs)

    def member_count(self) -> int:
        return list_members(self.request.user, self.customer_list).visible().count()

    def post(self, request, pk):
        name, count = self.customer_list.name, self.member_count()
        update = delete_list(performer=request.user, customer_list=self.customer_list)
        messages.success(
            request,
            f"Deleted the list “{name}” ({_customers(count)}). No customer was deleted: "
            "those in no other list are now Unassigned (or New Customers)."
            + _in_background(update),
        )
        return redirect("lists:index")


def _in_background(update: MembersUpdate) -> str:
    if not update.in_background:
        return ""
    return (
        f" Its {_customers(update.count)} show the change as the update in the background "
        "reaches them (progress above)."
    )


class ListEditView(OwnListMixin, TemplateView):
    """One list's members (searchable, paginated), with Add by name and Remove selected."""

    template_name = "lists/list_edit.html"

    def get_context_data(self, add_form=None, remove_form=None, **kwargs):
        performer, customer_list = self.request.user, self.customer_list
        query = self.search_query()
        members = in_list(Customer.objects.for_performer(performer), customer_list.pk).search(query)
        page = Paginator(
            members.order_by("member_name", "pk").only(
                "pk",
                "member_name",
                "nickname",
                "list_names",
                "affiliate_referral",
                "status",  # and the two below: what Customer.list_label reads
                "first_contact",
                "new_cleared",
                "last_contact",
                "earnings",
            ),
            MEMBERS_PER_PAGE,
        ).get_page(page_number(self.request.GET.get("page")))
        return super().get_context_data(
            query=query,
            page_obj=page,
            members=page.object_list,
            add_form=add_form or AddMembersForm(performer=performer, customer_list=customer_list),
            remove_form=remove_form,
            return_query=self.return_query(),
            **kwargs,
        )

    def search_query(self) -> str:
        # NUL cannot reach PostgreSQL; the rest is trimmed and capped (M13).
        return " ".join(self.request.GET.get("q", "").replace("\x00", "").split())[:MAX_SEARCH]

    def return_query(self) -> str:
        """The page's own search and page number, to come back to after a POST."""
        params = {"q": self.search_query(), "page": self.request.GET.get("page", "")[:10]}
        return urlencode({k: v for k, v in params.items() if v})

    def back_to_page(self) -> HttpResponseRedirect:
        url = self.customer_list.get_absolute_url()
        query = self.return_query()
        return HttpResponseRedirect(f"{url}?{query}" if query else url)


class ListMemberChangeView(ListEditView):
    """Base of the add / remove POSTs; a GET (a reload after an error) shows the list."""

    form_class: type
    form_key: str

    def get(self, request, pk):
        return redirect(self.customer_list)

    def post(self, request, pk):
        form = self.form_class(
            request.POST, performer=request.user, customer_list=self.customer_list
        )
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(**{self.form_key: form}), status=400
            )
        self.change(form)
        return self.back_to_page()


class ListAddView(ListMemberChangeView):
    form_class = AddMembersForm
    form_key = "add_form"

    def change(self, form: AddMembersForm) -> None:
        report = form.report
        added = add_to_list(
            performer=self.request.user,
            customer_list=self.customer_list,
            customers=Customer.objects.for_performer(self.request.user).filter(
                pk__in=report.to_add
            ),
        )
        level = messages.success if added else messages.info
        level(self.request, f"Added {_customers(added)} to “{self.customer_list.name}”.")
        for problem in report.problems():
            messages.warning(self.request, problem)


class ListRemoveView(ListMemberChangeView):
    form_class = RemoveMembersForm
    form_key = "remove_form"

    def change(self, form: RemoveMembersForm) -> None:
        removed = remove_from_list(
            performer=self.request.user,
            customer_list=self.customer_list,
            customers=form.cleaned_data["customers"],
        )
        messages.success(
            self.request, f"Removed {_customers(removed)} from “{self.customer_list.name}”."
        )


def _customers(count: int) -> str:
    return f"{count:,} customer" if count == 1 else f"{count:,} customers"
