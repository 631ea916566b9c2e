"""Edits made from the customer detail page (SPEC D1, D4, D6, D8, Send Offer).

Every edit is a POST with CSRF that validates a form, calls one service and redirects back
to the detail page with a message (PRG). Invalid input re-renders the page it came from
with the field errors and status 400; every service records the edit in the activity
history.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, View
from django.views.generic.detail import SingleObjectMixin

from contacts.forms import NoteForm, OfferForm
from contacts.models import Note, Offer
from contacts.notes import add_note, delete_note, edit_note, with_edited
from contacts.offers import send_offer
from mycustomers.errors import ActionError
from mycustomers.forms import CustomerListsForm, FollowUpForm, NicknameForm
from mycustomers.models import CustomerStatus, FollowUpStatus
from mycustomers.money import money
from mycustomers.once import AlreadyDone
from mycustomers.services import (
    ListsChange,
    change_customer_lists,
    set_follow_up,
    set_nickname,
)
from mycustomers.views.detail import CustomerPageMixin, detail_context, identity_context
from mycustomers.views.mixins import DraftMixin


class CustomerFormView(CustomerPageMixin, SingleObjectMixin, FormView):
    """Base for the forms on one customer: the customer comes through the performer (a
    foreign id is a 404 before any form is read)."""

    context_object_name = "customer"
    anchor = ""
    already_done = "This was done already: the form was submitted twice."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:  # else LoginRequiredMixin redirects
            self.load()
        return super().dispatch(request, *args, **kwargs)

    def load(self) -> None:
        self.object = self.get_object()

    def form_valid(self, form):
        try:
            message = self.apply(form)
        except ActionError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        except AlreadyDone:
            messages.info(self.request, self.already_done, extra_tags=self.section())
            return redirect(self.get_success_url())
        if message:
            messages.success(self.request, message, extra_tags=self.section())
        return redirect(self.get_success_url())

    def section(self) -> str:
        """The detail page's section the browser returns to: its message shows there."""
        return self.get_success_url().partition("#")[2]

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def apply(self, form) -> str:
        raise NotImplementedError

    def get_success_url(self) -> str:
        return self.object.get_absolute_url() + self.anchor


class DetailFormView(CustomerFormView):
    """A form that sits on the detail page: POST only; errors re-render that page."""

    http_method_names = ["post"]
    template_name = "customers/detail.html"
    form_name = "form"

    def get_context_data(self, **kwargs):
        return detail_context(self.request, self.object, **{self.form_name: kwargs["form"]})


class NicknameView(DetailFormView):
    form_class = NicknameForm
    form_name = "nickname_form"

    def apply(self, form) -> str:
        nickname = form.cleaned_data["nickname"]
        if not set_nickname(performer=self.request.user, customer=self.object, nickname=nickname):
            return ""
        return f"Nickname set to “{nickname}”." if nickname else "Nickname removed."


class FollowUpView(DetailFormView):
    form_class = FollowUpForm
    form_name = "follow_up_form"
    anchor = "#follow-up"

    def apply(self, form) -> str:
        status = form.cleaned_data["follow_up"]
        if not set_follow_up(performer=self.request.user, customer=self.object, follow_up=status):
            return ""
        return f"Follow-up status: {FollowUpStatus(status).label}."


class CustomerListsView(DetailFormView):
    form_class = CustomerListsForm
    form_name = "lists_form"
    anchor = "#lists"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "performer": self.request.user,
            "customer": self.object,
        }

    def apply(self, form) -> str:
        lists = list(form.cleaned_data["lists"])
        was_in = self.object.list_names
        change = change_customer_lists(
            performer=self.request.user,
            customer=self.object,
            lists=lists,
            blocked=form.cleaned_data["blocked"],
        )
        if change is ListsChange.BLOCKED and was_in:
            return f"Customer blocked: removed from {was_in}, and out of the main view."
        if change is ListsChange.BLOCKED:
            return "Customer blocked: they are out of every list and the main view."
        if change is ListsChange.UNBLOCKED:
            return "Customer unblocked: they are back in the main view, Unassigned."
        if change is ListsChange.LISTS:
            names = ", ".join(lst.name for lst in lists)
            return f"Lists updated: {names}." if names else "Removed from every list."
        return "Lists unchanged."


class AddNoteView(DetailFormView):
    form_class = NoteForm
    form_name = "note_form"
    anchor = "#notes"
    already_done = "This note was added already: it is not added twice."

    def apply(self, form) -> str:
        add_note(
            performer=self.request.user,
            customer=self.object,
            body=form.cleaned_data["body"],
            token=form.cleaned_data["token"],
        )
        return "Note added."


class NoteMixin:
    """The note, through the performer and this customer: anything else is a 404."""

    def get_note(self) -> Note:
        notes = with_edited(Note.objects.for_performer(self.request.user))
        notes = notes.filter(customer=self.object)
        return get_object_or_404(notes, pk=self.kwargs["note_pk"])


class EditNoteView(NoteMixin, CustomerFormView):
    form_class = NoteForm
    template_name = "customers/detail_note_edit.html"
    anchor = "#notes"

    def load(self) -> None:
        super().load()
        self.note = self.get_note()

    def get_initial(self):
        return {"body": self.note.body}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, **identity_context(self.object), "note": self.note}

    def apply(self, form) -> str:
        edit_note(performer=self.request.user, note=self.note, body=form.cleaned_data["body"])
        return "Note saved."


class DeleteNoteView(NoteMixin, CustomerPageMixin, SingleObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        delete_note(performer=request.user, note=self.get_note())
        messages.success(request, "Note deleted.", extra_tags="notes")
        return redirect(self.object.get_absolute_url() + "#notes")


class SendOfferView(DraftMixin, CustomerFormView):
    form_class = OfferForm
    template_name = "customers/detail_offer.html"
    sent_model = Offer
    already_done = "This offer was sent already: it is not sent twice."

    def get_initial(self):
        return self.draft_initial()

    def get_context_data(self, **kwargs):
        customer = self.object
        refused = ""
        if customer.status == CustomerStatus.BLOCKED:
            refused = "You can't send offers to a blocked customer. Unblock them first."
        elif customer.status == CustomerStatus.DELETED:
            refused = "You can't send offers to a deleted customer. Restore them first."
        context = super().get_context_data(**kwargs)
        return {
            **context,
            **identity_context(customer),
            **self.draft_context(),
            "refused": refused,
        }

    def apply(self, form) -> str:
        offer = send_offer(
            performer=self.request.user,
            customer=self.object,
            value=form.cleaned_data["value"],
            expires_at=form.expires_at,
            message=form.cleaned_data["message"],
            token=form.cleaned_data["token"],
        )
        return f"Offer of {money(offer.value)} sent."

    def get_success_url(self) -> str:
        return self.object.get_absolute_url() + "#activity"
