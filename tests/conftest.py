from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import PerformerFactory


@pytest.fixture(autouse=True)
def _data_versions_follow_each_statement(request):
    """A test runs in one transaction that never commits, so the trigger that gives a
    performer a new data version at commit (and with it new cached counts, see
    mycustomers.counts) would never fire: fire it after each statement instead."""
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS apply_data_changes IMMEDIATE")


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
