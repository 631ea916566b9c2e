"""One-time form tokens: a form submitted twice (a double click without JavaScript, a request
resent by the browser) does its work once.

Each blank form carries a new token; the row the form creates stores it, unique per performer,
so the second submission's insert fails (after waiting for the first to commit, if it is still
running) and the view says it was done already instead of doing it again.
"""

from __future__ import annotations

from uuid import uuid4

from django import forms
from django.db import IntegrityError, models, transaction


class AlreadyDone(Exception):
    """This form's token was used before: its work is done."""


def token_field() -> forms.UUIDField:
    return forms.UUIDField(required=False, initial=uuid4, widget=forms.HiddenInput)


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
