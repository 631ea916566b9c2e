"""Each performer's pages use their own time zone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from mycustomers.middleware import PerformerTimeZoneMiddleware
from tests.factories import PerformerFactory


def zone_seen_by_the_view(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return PerformerTimeZoneMiddleware(lambda r: timezone.get_current_timezone_name())(request)


@pytest.mark.django_db
def test_a_performer_sees_their_own_zone_and_the_next_request_does_not_inherit_it(settings):
    settings.TIME_ZONE = "UTC"
    assert zone_seen_by_the_view(PerformerFactory(time_zone="Asia/Tokyo")) == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() == "UTC"
    assert zone_seen_by_the_view(AnonymousUser()) == "UTC"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "../etc"])
def test_no_zone_or_an_unknown_one_is_the_sites(settings, name):
    settings.TIME_ZONE = "Europe/Berlin"
    assert PerformerFactory(time_zone=name).zone.key == "Europe/Berlin"
