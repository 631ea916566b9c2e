"""Mass actions (SPEC §4): Send Mail, Block, Unblock, Delete (with Undo), Restore, Assign.

Each action has one page: GET shows what will happen to the selection, with its exact count
(a confirmation, the compose form or the list choice); POST applies it through one service in
one transaction and returns to the view it came from with a message (A7, A8). The table's
form reaches these pages with ``formaction``, so everything works without JavaScript.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView

from contacts.mail import create_mail, send_mail
from contacts.models import Mail
from lists.models import CustomerList
from lists.services import add_to_list, create_list, remove_from_list, set_customer_lists
from mycustomers import jobs
from mycustomers.action_forms import (
    NOTHING_SELECTED,
    AssignForm,
    ComposeForm,
    OneListForm,
    SelectionForm,
)
from mycustomers.errors import ActionError
from mycustomers.models import Customer, MassAction
from mycustomers.numbers import page_number
from mycustomers.once import AlreadyDone
from mycustomers.services import (
    block_customers,
    delete_customers,
    restore_customers,
    unblock_customers,
)
from mycustomers.views.mixins import DraftMixin

UNDO_SESSION_KEY = "undo_deletion"
NOBODY_TO_MAIL = "Nobody to send to: blocked customers cannot be mailed."
logger = logging.getLogger(__name__)


def customers(count: int) -> str:
    return ngettext("%(n)s customer", "%(n)s customers", count) % {"n": f"{count:,}"}


def were(count: int) -> str:
    """ "1 customer was" / "12 customers were"."""
    return f"{customers(count)} {'was' if count == 1 else 'were'}"


class SelectionActionView(LoginRequiredMixin, View):
    """GET: the page for a selection; POST: apply the action and go back to the view."""

    template_name = "customers/actions/confirm.html"
    title = ""
    verb = ""  # button text
    form_class = None  # the action's own fields, if any
    danger = False
    message_tags = ""
    kind = ""  # MassAction.Kind: over BACKGROUND_ACTION_MIN customers, run in the background
    # What a form sent twice is told (its one-time token was used: mycustomers.once).
    already_done = "This was done already: the form was submitted twice."

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        data = request.POST if request.method == "POST" else request.GET
        self.selection = SelectionForm(data, performer=request.user)
        # Before anything else a page does on GET or POST (a compose page's draft, say).
        if request.method in ("GET", "POST") and not self.selection.is_valid():
            return self.refuse_selection()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render(self.make_form(None))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form is not None and not form.is_valid():
            return self.render(form, status=400)
        try:
            outcome = jobs.run(
                performer=request.user,
                kind=self.kind,
                customers=self.selection.customers,
                apply=lambda: self.apply(form),
                params=lambda: self.background_params(form),
            )
            message = self.started(outcome.action) if outcome.in_background else outcome.result
        except DatabaseError:
            # The action's transaction rolled back as a whole: say so rather than a 500.
            logger.exception("%s failed", type(self).__name__)
            messages.error(
                request, "That could not be done right now; nothing was changed. Please try again."
            )
            return redirect(self.selection.cleaned_data["next"])
        except AlreadyDone:
            messages.info(request, self.already_done)
            return redirect(self.selection.cleaned_data["next"])
        except ActionError as error:
            if form is None:
                messages.error(request, str(error))
                return redirect(self.selection.cleaned_data["next"])
            form.add_error(None, str(error))
            return self.render(form, status=400)
        messages.success(request, message, extra_tags=self.message_tags)
        return HttpResponseRedirect(self.selection.cleaned_data["next"])

    def make_form(self, data):
        return self.form_class(data) if self.form_class else None

    def apply(self, form) -> str:
        raise NotImplementedError

    def background_params(self, form) -> dict:
        """What the background action needs besides the customers (``MassAction`` fields)."""
        return {}

    def started(self, action: MassAction) -> str:
        """The message once a selection too large for one request is queued (mycustomers.jobs)."""
        return (
            f"{action.get_kind_display()}: {customers(action.total)}, in the background. "
            "Its progress shows above the table; you can go on working meanwhile."
        )

    def render(self, form, status: int = 200):
        count = self.selection.customers.count()
        context = {
            "title": self.title,
            "verb": self.verb,
            "danger": self.danger,
            "form": form,
            "selection": self.selection,
            "count": count,
            "count_text": customers(count),
            "preview": list(self.selection.preview()),
            "back": self.selection.cleaned_data["next"],
            # How long a deletion can be restored in full (the Delete page says it).
            "retention_days": settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"],
            **self.extra_context(),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def extra_context(self) -> dict:
        return {}

    def back_to(self) -> str:
        """The view the selection came from (a "next" too long to be one: the main view)."""
        return self.selection.cleaned_data.get("next") or "/customers/"

    def refuse_selection(self):
        """Nothing ticked (a button pressed without JavaScript, which would have said so):
        back to the same view, which shows why. Any other bad selection: an error page."""
        if self.selection.is_empty:
            messages.warning(self.request, NOTHING_SELECTED)
            return HttpResponseRedirect(self.back_to())
        return self.render_selection_error()

    def render_selection_error(self):
        errors = [e for field_errors in self.selection.errors.values() for e in field_errors]
        return TemplateResponse(
            self.request,
            "customers/actions/selection_error.html",
            {"title": self.title, "errors": errors, "back": self.back_to()},
            status=400,
        )


class SendMailView(DraftMixin, SelectionActionView):
    template_name = "customers/actions/compose.html"
    title = "Send Mail"
    verb = "Send Mail"
    form_class = ComposeForm
    sent_model = Mail
    already_done = "This mail was sent already: it is not sent twice."

    kind = MassAction.Kind.SEND_MAIL

    def make_form(self, data):
        return ComposeForm(data, initial=self.draft_initial())

    def extra_context(self) -> dict:
        return {"blocked": self.selection.customers.blocked().count(), **self.draft_context()}

    def background_params(self, form) -> dict:
        if not self.selection.customers.visible().exists():
            raise ActionError(NOBODY_TO_MAIL)
        mail = create_mail(
            performer=self.request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            token=form.cleaned_data["token"],
        )
        return {"mail": mail}

    def apply(self, form) -> str:
        result = send_mail(
            performer=self.request.user,
            customers=self.selection.customers,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            token=form.cleaned_data["token"],
        )
        if not result.sent:
            raise ActionError(NOBODY_TO_MAIL)
        message = f"Mail sent to {customers(result.sent)}."
        if result.skipped_blocked:
            message += f" Skipped {customers(result.skipped_blocked)} who are blocked."
        return message


class BlockView(SelectionActionView):
    title = "Block customers"
    verb = "Block"
    danger = True
    kind = MassAction.Kind.BLOCK

    def apply(self, form) -> str:
        count = block_customers(performer=self.request.user, customers=self.selection.customers)
        return f"Blocked {customers(count)}."


class UnblockView(SelectionActionView):
    title = "Unblock customers"
    verb = "Unblock"
    kind = MassAction.Kind.UNBLOCK

    def apply(self, form) -> str:
        count = unblock_customers(performer=self.request.user, customers=self.selection.customers)
        return f"Unblocked {customers(count)}; they are back in Unassigned."


class DeleteView(SelectionActionView):
    title = "Delete customers"
    verb = "Delete"
    danger = True
    message_tags = "undo"  # base.html shows an Undo button beside the message
    kind = MassAction.Kind.DELETE

    def extra_context(self) -> dict:
        # Deleting unblocks (A5, seed 002): the page says so before it is done.
        blocked = self.selection.customers.blocked().count()
        return {"blocked": blocked, "blocked_text": customers(blocked)}

    def apply(self, form) -> str:
        deletion = delete_customers(performer=self.request.user, customers=self.selection.customers)
        if deletion.deleted_at:
            self.remember_for_undo(deletion.deleted_at)
        if deletion.unblocked == deletion.count:
            verb = "Deleted and unblocked" if deletion.count else "Deleted"
            return f"{verb} {customers(deletion.count)}."
        if deletion.unblocked:
            who = "was" if deletion.unblocked == 1 else "were"
            return (
                f"Deleted {customers(deletion.count)}, and unblocked the "
                f"{deletion.unblocked:,} who {who} blocked."
            )
        return f"Deleted {customers(deletion.count)}."

    def background_params(self, form) -> dict:
        # Noted before the task may start (an immediate backend runs it at commit).
        self.unblocks = self.selection.customers.blocked().exists()
        return {}

    def started(self, action: MassAction) -> str:
        self.remember_for_undo(action.deleted_at, action=action)
        message = super().started(action)
        return message + " Those who are blocked are unblocked." if self.unblocks else message

    def remember_for_undo(self, deleted_at: datetime, action: MassAction | None = None) -> None:
        self.request.session[UNDO_SESSION_KEY] = {
            "at": deleted_at.isoformat(),
            "next": self.selection.cleaned_data["next"],
            "action": action.pk if action else None,
        }


class RestoreView(SelectionActionView):
    title = "Restore customers"
    verb = "Restore"
    kind = MassAction.Kind.RESTORE

    def apply(self, form) -> str:
        count = restore_customers(performer=self.request.user, customers=self.selection.customers)
        return f"Restored {customers(count)} to My Customers."


class AssignView(SelectionActionView):
    template_name = "customers/actions/assign.html"
    title = "Assign to List"
    verb = "Assign"

    def make_form(self, data):
        return AssignForm(data, performer=self.request.user)

    kind = MassAction.Kind.ASSIGN

    def chosen_lists(self, form) -> list:
        """The lists ticked, and the new one if named (created here: call in a transaction)."""
        lists = list(form.cleaned_data["lists"])
        if form.cleaned_data["new_list"]:
            name = form.cleaned_data["new_list"]
            lists.append(create_list(performer=self.request.user, name=name))
        return lists

    def background_params(self, form) -> dict:
        return {"list_ids": [lst.pk for lst in self.chosen_lists(form)]}

    def apply(self, form) -> str:
        with transaction.atomic():
            lists = self.chosen_lists(form)
            count = set_customer_lists(
                performer=self.request.user, customers=self.selection.customers, lists=lists
            )
        names = ", ".join(sorted((lst.name for lst in lists), key=str.casefold))
        if not names:
            return f"Removed {customers(count)} from all lists."
        return f"Assigned {customers(count)} to {names}."


class OneListView(SelectionActionView):
    """Add to List / Remove from List (F7): one list, the customers' other lists stay."""

    template_name = "customers/actions/one_list.html"
    can_create = False

    def make_form(self, data):
        return OneListForm(data, performer=self.request.user, can_create=self.can_create)

    def chosen_list(self, form) -> CustomerList:
        """The list picked, or the new one if named (created here: call in a transaction)."""
        name = form.cleaned_data.get("new_list")
        if name:
            return create_list(performer=self.request.user, name=name)
        return form.cleaned_data["customer_list"]

    def background_params(self, form) -> dict:
        return {"list_ids": [self.chosen_list(form).pk]}


class AddToListView(OneListView):
    title = "Add to List"
    verb = "Add"
    kind = MassAction.Kind.ADD_TO_LIST
    can_create = True

    def apply(self, form) -> str:
        selection = self.selection.customers
        with transaction.atomic():
            customer_list = self.chosen_list(form)
            eligible = selection.visible().count()
            added = add_to_list(
                performer=self.request.user, customer_list=customer_list, customers=selection
            )
        message = f"Added {customers(added)} to {customer_list.name}"
        if eligible - added:
            message += f"; {were(eligible - added)} already in it"
        if (left_out := selection.count() - eligible) > 0:
            message += f"; left out {customers(left_out)} (blocked or deleted)"
        return message + "."


class RemoveFromListView(OneListView):
    title = "Remove from List"
    verb = "Remove"
    kind = MassAction.Kind.REMOVE_FROM_LIST

    def apply(self, form) -> str:
        selection = self.selection.customers
        customer_list = form.cleaned_data["customer_list"]
        removed = remove_from_list(
            performer=self.request.user, customer_list=customer_list, customers=selection
        )
        message = f"Removed {customers(removed)} from {customer_list.name}"
        if (not_in := selection.count() - removed) > 0:
            message += f"; {were(not_in)} not in it"
        return message + "."


class UndoDeleteView(LoginRequiredMixin, View):
    """The "Undo" right after a delete: restores exactly the customers of that delete."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        undo = request.session.pop(UNDO_SESSION_KEY, None)
        if not undo:
            messages.error(request, "There is nothing to undo.")
            return redirect("customers:list")
        outcome = jobs.undo_deletion(
            performer=request.user,
            deleted_at=datetime.fromisoformat(undo["at"]),
            background_delete=undo.get("action"),
        )
        if outcome.in_background:
            messages.success(
                request, f"Undoing: restoring {customers(outcome.count)} in the background."
            )
        else:
            messages.success(request, f"Undone: restored {customers(outcome.count)}.")
        return HttpResponseRedirect(undo["next"])


class DeletedCustomersView(LoginRequiredMixin, ListView):
    """Deleted customers, newest deletion first, to restore (A5)."""

    template_name = "customers/deleted.html"
    context_object_name = "customers"
    paginate_by = 50

    def get_queryset(self):
        return (
            Customer.objects.for_performer(self.request.user)
            .deleted()
            .order_by("-status_changed_at", "member_name")
            .only(
                "member_name",
                "nickname",
                "status",
                "status_changed_at",
                "purged_at",
                "last_contact",
                "earnings",
            )
        )

    def get_context_data(self, **kwargs):
        retention = settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"]
        return super().get_context_data(retention_days=retention, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        # A bad or too-large page number falls back instead of 404ing (M13).
        paginator = self.get_paginator(queryset, page_size)
        page_obj = paginator.get_page(page_number(self.request.GET.get("page")))
        return paginator, page_obj, page_obj.object_list, page_obj.has_other_pages()
