"""The one door to tenant rows: every tenant table's QuerySet starts from the performer."""

from __future__ import annotations

from typing import Self

from django.contrib.auth.models import AbstractUser
from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_performer(self, performer: AbstractUser) -> Self:
        """The performer's own rows: another performer's id is then simply not found (404)."""
        return self.filter(performer=performer)
