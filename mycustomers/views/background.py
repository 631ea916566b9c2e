"""The progress of mass actions running in the background (mycustomers.jobs): the
banner above the main table and the lists page, polled by htmx while one runs, and its
Stop / Dismiss buttons."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from mycustomers.counts import cached
from mycustomers.jobs import cancel, describe
from mycustomers.models import MassAction
from mycustomers.views.next_url import next_url

TEMPLATE = "customers/_background_actions.html"


def actions_to_show(performer) -> list[MassAction]:
    """``MassActionQuerySet.to_show()``, without its query while the banner is known to be
    empty: it stays empty until the performer's data version changes (every write to a mass
    action gives a new one, migration 0019), as time only ever takes actions out of it."""
    shown: list[MassAction] = []

    def any_to_show() -> bool:
        shown.extend(MassAction.objects.for_performer(performer).to_show())
        return bool(shown)

    if not cached(performer, ("mass actions to show",), any_to_show):
        return []
    # Known to have some (now, or when cached): read them afresh, once.
    return shown or MassAction.objects.for_performer(performer).to_show()


def background_context(request) -> dict:
    """The banner's rows (one query, none while there is nothing to show): actions running,
    and finished ones not yet dismissed; and the page its buttons return to without
    JavaScript."""
    actions = actions_to_show(request.user)
    page = request.get_full_path()
    if request.htmx and request.htmx.current_url:  # polled: the page the banner is on
        current = urlsplit(request.htmx.current_url)
        page = current.path + (f"?{current.query}" if current.query else "")
    page = next_url(request, page, reverse("customers:list"))  # e.g. "//elsewhere"
    return {
        "background_actions": [(action, describe(action)) for action in actions],
        "background_running": any(action.is_running for action in actions),
        "background_next": page,
    }


class BackgroundActionsView(LoginRequiredMixin, View):
    """GET: the banner alone, for htmx to swap in while an action runs."""

    def get(self, request, *args, **kwargs):
        return TemplateResponse(request, TEMPLATE, background_context(request))


class BackgroundActionChangeView(LoginRequiredMixin, View):
    """POST: stop or dismiss one of the performer's actions, then back to the page."""

    http_method_names = ["post"]
    change = ""  # "stop" or "dismiss"

    def post(self, request, pk: int, *args, **kwargs):
        action = get_object_or_404(MassAction.objects.for_performer(request.user), pk=pk)
        if self.change == "stop":
            cancel(action)
        else:
            MassAction.objects.filter(pk=action.pk).exclude(state=MassAction.State.RUNNING).update(
                dismissed=True
            )
        if request.htmx:
            return TemplateResponse(request, TEMPLATE, background_context(request))
        return HttpResponseRedirect(
            next_url(request, request.POST.get("next"), reverse("customers:list"))
        )
