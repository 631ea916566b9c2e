"""One-time form tokens: a form submitted twice (a double click without JavaScript, a request
resent by the browser) does its work once.

Each blank form carries a new token; the row the form creates stores it, unique per performer,
so the second submission's insert fails (after waiting for the first to commit, if it is still
running) and the view says it was done already instead of doing it again.

A compose page (Send Mail, Send Offer) keeps its token in its own address (``?draft=``): its
first GET redirects to the same address with a new one. The browser's history then holds the
token, so a page reached again by Back, a reload or a restored tab (its fields restored by the
browser, its HTML fetched anew since private pages are never cached) posts the token that was
used, and is told so, instead of sending a second time with a token of its own.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from django import forms
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponseRedirect

DRAFT = "draft"  # the query parameter holding a compose page's token


class AlreadyDone(Exception):
    """This form's token was used before: its work is done."""


def token_field() -> forms.UUIDField:
    return forms.UUIDField(required=False, initial=uuid4, widget=forms.HiddenInput)


def draft_token(request: HttpRequest) -> UUID | None:
    """The token in the page's address, if it holds a valid one."""
    try:
        return UUID(request.GET.get(DRAFT, ""))
    except ValueError:
        return None


def redirect_to_new_draft(request: HttpRequest) -> HttpResponseRedirect:
    """The same page, its address given a new token (the first GET of a compose page)."""
    query = request.GET.copy()
    query[DRAFT] = str(uuid4())
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")


def create_once(model: type[models.Model], **fields) -> models.Model:
    """``model.objects.create(**fields)``; ``AlreadyDone`` if its (performer, token) exists.

    The model's unique constraint on the token is named ``<model>_unique_token``; any other
    integrity error is raised as it is."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError as error:
        diag = getattr(error.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) != f"{model._meta.model_name}_unique_token":
            raise
        raise AlreadyDone from error
