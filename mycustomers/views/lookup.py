"""The caller card (SPEC D12): who is calling or chatting, at a glance; reached from the
header's "Look up a caller" field, whose suggestions come from ``CallerSuggestionsView``."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, IntegerField, Value, When
from django.http import JsonResponse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from contacts.models import Note
from mycustomers.forms import MAX_MEMBER_NAME, LookupForm
from mycustomers.insights import rhythm_in_words
from mycustomers.models import Customer
from mycustomers.views.detail import identity_context

CARD_NOTES = 3
SUGGESTIONS = 8  # at most, in the header field's list
MIN_SUGGEST = 2  # characters typed before any suggestion
SAME_NICKNAME = 10  # customers listed to choose from when a nickname is not unique


class CallerCardView(LoginRequiredMixin, TemplateView):
    """``?member=NAME``: the performer's customer with that member name (any case), else
    with that nickname (several: a list to choose from).

    Another performer's customer gets exactly the unknown-name answer, and the typed name is
    not echoed back, so the page reveals nothing about who exists. Deleted customers are
    shown, with a Deleted badge: their notes are still here and contacting the performer
    brings them back (A5).
    """

    template_name = "customers/lookup.html"

    def get(self, request, *args, **kwargs):
        form = LookupForm(request.GET if "member" in request.GET else None)
        context = {"form": form, "searched": form.is_bound}
        if not form.is_bound:
            return self.render_to_response(context)
        if not form.is_valid():
            return self.render_to_response(context, status=400)
        name = form.cleaned_data["member"]
        customer = self.find(name)
        if customer is None:
            context["form"] = LookupForm()  # blank: don't echo the name back
            nicknamed = list(self.nicknamed(name))
            if len(nicknamed) != 1:
                context["choices"] = nicknamed
                return self.render_to_response(context)
            customer = nicknamed[0]
        notes = Note.objects.for_performer(request.user).filter(customer=customer)
        context |= identity_context(customer)
        context["notes"] = notes.order_by("-created_at", "-id")[:CARD_NOTES]
        context["rhythm"] = rhythm_in_words(customer, timezone.localdate())
        context["form"] = LookupForm()
        return self.render_to_response(context)

    def find(self, name: str) -> Customer | None:
        # Member names are unique platform-wide but may differ only in case: prefer the
        # exact spelling.
        return (
            Customer.objects.for_performer(self.request.user)
            .filter(member_name__iexact=name)
            .select_related("member")
            .order_by(
                Case(
                    When(member_name=name, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                "member_name",
            )
            .first()
        )

    def nicknamed(self, name: str):
        """The performer's customers with that nickname (any case), by member name."""
        customers = Customer.objects.for_performer(self.request.user).select_related("member")
        return customers.filter(nickname__iexact=name).order_by("member_name")[:SAME_NICKNAME]


class CallerSuggestionsView(LoginRequiredMixin, View):
    """``?q=TEXT``: up to SUGGESTIONS of the performer's customers for the header's caller
    lookup, as JSON (``{"suggestions": [{"name", "nickname"}]}``), in one indexed query.
    Under MIN_SUGGEST characters, longer than any member name, or with a NUL (no name has
    one, and PostgreSQL refuses it in text), there are none."""

    def get(self, request, *args, **kwargs):
        text = " ".join(request.GET.get("q", "").split())
        suggestions = []
        if MIN_SUGGEST <= len(text) <= MAX_MEMBER_NAME and "\x00" not in text:
            rows = Customer.objects.for_performer(request.user).callers_like(text)
            suggestions = [
                {"name": name, "nickname": nickname}
                for name, nickname in rows.values_list("member_name", "nickname")[:SUGGESTIONS]
            ]
        return JsonResponse({"suggestions": suggestions})
