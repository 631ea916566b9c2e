from __future__ import annotations

import pytest

from tests.factories import PerformerFactory


@pytest.fixture
def owner(db):
    """The performer whose pages are under test."""
    return PerformerFactory(username="owner")


@pytest.fixture
def colleague(db):
    """A second performer who shares some members with the owner."""
    return PerformerFactory(username="colleague")


@pytest.fixture
def outsider(db):
    """A performer with no customers in common with anyone."""
    return PerformerFactory(username="outsider")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
