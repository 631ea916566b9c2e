"""Exact counts (and the list names beside them) cached until the performer's data changes.

Counting a large performer's visible customers is an index-only scan of every one of them,
on every page of the main view. Counts only change when customers come or go, or their
status, name, nickname, lists or affiliate flag change, or lists are created, renamed or
deleted; each such change gives the performer a new ``data_version`` at commit (database
triggers: mycustomers migration 0009, lists migration 0004). A value cached under the
version read with the request's user is exact for that version, and any later request reads
a newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import AbstractUser
from django.core.cache import caches

CACHE = "counts"
T = TypeVar("T")


def cached(
    performer: AbstractUser,
    key: tuple,
    compute: Callable[[], T],
    *,
    fresh: Callable[[T], bool] | None = None,
) -> T:
    """``compute()``, or what it returned before for the same ``key`` (what is counted, e.g. the
    filter values) and the same version of ``performer``'s data. Counts that change with time
    alone (a customer stops being new after 30 days) must not come through here, unless
    ``fresh(value)`` tells when a cached value has been overtaken by the clock."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    cache_key = f"{performer.pk}:{performer.data_version}:{digest}"
    cache = caches[CACHE]
    value = cache.get(cache_key)
    if value is None or (fresh is not None and not fresh(value)):
        value = compute()
        cache.set(cache_key, value)
    return value
