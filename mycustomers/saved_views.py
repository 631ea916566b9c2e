"""Saved views and the column choice of the main table (F6)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from mycustomers.errors import ActionError
from mycustomers.models import Performer, SavedView
from mycustomers.tables import visible_columns

MAX_NAME = SavedView._meta.get_field("name").max_length
MAX_VIEWS = 20


def set_columns(*, performer: Performer, columns: list[str]) -> list[str]:
    """The performer's own column choice (the table outside saved views)."""
    performer.columns = visible_columns(columns)
    Performer.objects.filter(pk=performer.pk).update(columns=performer.columns)
    return performer.columns


def save_view(
    *, performer: Performer, name: str, query: str, columns: list[str], default: bool = False
) -> SavedView:
    """Save a view (its URL query, validated by the caller) under a name, unique per
    performer ignoring case; ``default``: the one ``/customers/`` opens with."""
    name = " ".join(name.split())
    if not name:
        raise ActionError("Enter a name for the view.")
    if len(name) > MAX_NAME:
        raise ActionError(f"View names can be at most {MAX_NAME} characters.")
    views = SavedView.objects.for_performer(performer)
    if views.count() >= MAX_VIEWS:
        raise ActionError(f"You can keep at most {MAX_VIEWS} saved views: delete one first.")
    try:
        with transaction.atomic():
            if default:
                views.filter(is_default=True).update(is_default=False)
            return SavedView.objects.create(
                performer=performer,
                name=name,
                query=query,
                columns=visible_columns(columns),
                is_default=default,
            )
    except IntegrityError as error:
        raise ActionError(f"You already have a view called “{name}”.") from error


def make_default(*, performer: Performer, view: SavedView | None) -> None:
    """``view`` becomes the default; None: ``/customers/`` opens unfiltered again."""
    with transaction.atomic():
        views = SavedView.objects.for_performer(performer)
        views.filter(is_default=True).update(is_default=False)
        if view is not None:
            views.filter(pk=view.pk).update(is_default=True)


def delete_view(*, performer: Performer, view: SavedView) -> None:
    SavedView.objects.for_performer(performer).filter(pk=view.pk).delete()
