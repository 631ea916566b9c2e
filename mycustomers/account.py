"""The performer's own account settings: their time zone (SPEC: dates in the performer's time
zone), which every page shows times in and every date filter and paid day reads."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.db import transaction

from contacts import rhythm
from mycustomers import daily_refresh
from mycustomers.models import Customer, Performer

# The IANA areas a person lives in; the rest of the database is aliases kept for old data
# ("US/Pacific", "Etc/GMT+5", "posixrules").
AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
         "Pacific")  # fmt: skip


# Refreshed in the request up to this many customers (a fraction of a second there; the
# figures are in docs/performance.md), by the worker above it.
REFRESH_NOW_MAX = 1_000


@cache
def zone_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The zones to choose from, grouped by area: ("Europe", [("Europe/Berlin", "Berlin")])."""
    grouped: dict[str, list[tuple[str, str]]] = {area: [] for area in AREAS}
    for name in sorted(available_timezones()):
        area, _, place = name.partition("/")
        if area in grouped and place:
            grouped[area].append((name, place.replace("_", " ").replace("/", " / ")))
    return list(grouped.items())


def zone_choices() -> list:
    """The select's choices: the site's zone (stored as ""), UTC, then the areas' zones."""
    return [("", f"The site's time zone ({settings.TIME_ZONE})"), ("UTC", "UTC"), *zone_groups()]


def set_time_zone(*, performer: Performer, name: str) -> bool:
    """Save the performer's time zone ("" is the site's); returns whether they are refreshed
    in the background. Their paid days are days in that zone, so their insights are
    recomputed: now, or for more than REFRESH_NOW_MAX customers by the worker, queued in
    the same transaction."""
    if name == performer.time_zone:
        return False
    with transaction.atomic():
        performer.time_zone = name
        performer.save(update_fields=["time_zone"])
        customers = Customer.objects.for_performer(performer).count()
        if customers > REFRESH_NOW_MAX:
            daily_refresh.refresh_performer.enqueue(performer.pk)
            return True
        rhythm.refresh(performer)
    return False
