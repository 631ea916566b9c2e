"""Pages about one customer: detail (SPEC D1–D9), contact history with the monthly chart
(D10, D11) and one event's purchase details. Every page runs a constant number of queries,
whatever the number of events."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.generic import DetailView

from contacts.forms import NoteForm
from contacts.models import Activity, ContactEvent, Feedback, Note, Offer
from contacts.notes import with_edited
from contacts.offers import offer_totals
from mycustomers.avatars import avatar_tone, initials
from mycustomers.detail_tables import EventTable, FeedbackTable, OfferTable, configure
from mycustomers.forms import NO_FOLLOW_UP, CustomerListsForm, FollowUpForm, NicknameForm
from mycustomers.insights import (
    HISTORY_TYPES,
    customer_insights,
    history_since,
    monthly_chart,
)
from mycustomers.models import Customer
from mycustomers.numbers import page_number
from mycustomers.views.mixins import PerformerCustomersMixin

NOTES_PER_PAGE = 10
ACTIVITY_PER_PAGE = 20


# --- Helpers shared by the pages and the edit views -------------------------------------


def photo_src(url: str) -> str:
    """The photo URL if our CSP lets the browser load it, else "" (initials instead).

    Photos on the marketplace's host need that host in CONTENT_SECURITY_POLICY's img-src.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.netloc:
        return url if url.startswith("/") and not url.startswith("//") else ""
    allowed = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].get("img-src", [])
    origin = f"{parts.scheme}://{parts.netloc}"
    return url if origin in allowed or f"{parts.scheme}:" in allowed else ""


def page_of(request, queryset: QuerySet, param: str, per_page: int) -> Page:
    """One page of ``queryset``; anything but ASCII digits, or 0, gives page 1, past the end
    the last page."""
    paginator = Paginator(queryset, per_page)
    number = page_number(request.GET.get(param))
    try:
        page = paginator.page(number)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    page.param = param
    return page


def action_url(name: str, customer: Customer) -> str:
    """A mass-action page for this one customer, coming back here afterwards."""
    query = urlencode({"ids": customer.pk, "next": customer.get_absolute_url()})
    return f"{reverse(f'customers:{name}')}?{query}"


def identity_context(customer: Customer) -> dict:
    return {
        "customer": customer,
        "member": customer.member,
        "photo": photo_src(customer.member.photo_url),
        "initials": initials(customer.member_name),
        "avatar_tone": avatar_tone(customer.member_name),
        "send_mail_url": action_url("send_mail", customer),
        "restore_url": action_url("restore", customer) if customer.is_deleted else "",
    }


def customer_events(performer, customer: Customer) -> QuerySet:
    return ContactEvent.objects.for_performer(performer).filter(customer=customer)


def feedback_table(request, customer: Customer, count: int | None = None) -> FeedbackTable:
    """``count``: the customer's feedback, if known already (saves the COUNT)."""
    rows = Feedback.objects.for_performer(request.user).filter(customer=customer)
    return configure(request, FeedbackTable(rows, caption="Feedback"), count=count)


# The detail page's sections an edit returns to (its anchor): their confirmations show there.
MESSAGE_SECTIONS = frozenset({"notes", "activity", "follow-up", "lists"})


def messages_in_place(request) -> dict:
    """The request's messages for the page top (``messages``, in place of the context
    processor's) and by section (``section_messages``): after an edit the browser scrolls to
    its section, so its confirmation is shown there, where the eye is. Reading them marks
    them shown."""
    top, by_section = [], {}
    for message in get_messages(request):
        if message.extra_tags in MESSAGE_SECTIONS:
            # Keyed as templates can read it: "follow-up" → section_messages.follow_up.
            by_section.setdefault(message.extra_tags.replace("-", "_"), []).append(message)
        else:
            top.append(message)
    return {"messages": top, "section_messages": by_section}


def detail_context(request, customer: Customer, **forms) -> dict:
    """Everything the detail page shows; ``forms`` replaces a blank form with a bound one
    whose errors the page must show (the edit views re-render it with status 400)."""
    performer = request.user
    nickname_form = forms.get("nickname_form") or NicknameForm(
        initial={"nickname": customer.nickname}
    )
    follow_up_form = forms.get("follow_up_form") or FollowUpForm(
        initial={"follow_up": customer.follow_up or NO_FOLLOW_UP}
    )
    lists_form = forms.get("lists_form") or CustomerListsForm(
        performer=performer, customer=customer
    )
    notes = with_edited(Note.objects.for_performer(performer).filter(customer=customer))
    notes = notes.order_by("-created_at", "-id")
    activities = Activity.objects.for_performer(performer).of_customer(customer)
    insights = customer_insights(customer)
    events = EventTable(customer_events(performer, customer), caption="Contact summary")
    return {
        **identity_context(customer),
        "insights": insights,
        "history_months": settings.MYCUSTOMERS["HISTORY_MONTHS"],
        # The insights counted the events already.
        "events": configure(request, events, count=insights.events),
        # The insights counted the feedback (for its average rating) too.
        "feedback": feedback_table(request, customer, count=insights.ratings),
        "notes": page_of(request, notes, "notes-page", NOTES_PER_PAGE),
        "activities": page_of(request, activities, "activity-page", ACTIVITY_PER_PAGE),
        "nickname_form": nickname_form,
        "follow_up_form": follow_up_form,
        "lists_form": lists_form,
        "list_choices": lists_form.list_choices(),
        "note_form": forms.get("note_form") or NoteForm(),
        **messages_in_place(request),
    }


class CustomerPageMixin(PerformerCustomersMixin):
    """One of the performer's customers, with its member (one query)."""

    def get_queryset(self):
        return super().get_queryset().select_related("member")


# --- Pages -------------------------------------------------------------------------------


class CustomerDetailView(CustomerPageMixin, DetailView):
    template_name = "customers/detail.html"
    context_object_name = "customer"

    def get_context_data(self, **kwargs):
        return detail_context(self.request, self.object)


class CustomerHistoryView(CustomerPageMixin, DetailView):
    """Calls, mails and chats of the last HISTORY_MONTHS months, every offer, all feedback."""

    template_name = "customers/history.html"
    context_object_name = "customer"

    def get_context_data(self, **kwargs):
        performer, customer = self.request.user, self.object
        now = timezone.now()
        since = history_since(now)
        # The chart's grouped query counts the table's rows too.
        chart = monthly_chart(customer, now=now)
        events = customer_events(performer, customer).filter(
            occurred_at__gte=since, type__in=HISTORY_TYPES
        )
        offers = Offer.objects.for_performer(performer).filter(customer=customer)
        totals = offer_totals(performer=performer, customer=customer)
        return {
            **identity_context(customer),
            "since": since,
            "months": settings.MYCUSTOMERS["HISTORY_MONTHS"],
            "events": configure(
                self.request,
                EventTable(events, caption="Calls, mails and chats"),
                per_page=50,
                count=chart.history_events,
            ),
            "offers": configure(
                self.request, OfferTable(offers, caption="Offers"), count=totals.count
            ),
            "offer_totals": totals,
            "feedback": feedback_table(self.request, customer),
            "chart": chart,
        }


class PurchaseDetailView(CustomerPageMixin, DetailView):
    """One event of one customer; another customer's or performer's event is a 404."""

    template_name = "customers/purchase.html"
    context_object_name = "event"

    def get_object(self, queryset=None):
        self.customer = super().get_object(queryset)
        return get_object_or_404(
            customer_events(self.request.user, self.customer), pk=self.kwargs["event_pk"]
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **identity_context(self.customer)}
