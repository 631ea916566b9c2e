"""Property-based: no query string, however odd, makes a page answer with a server error."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_customer

PARAMS = [
    "q",
    "letter",
    "list",
    "sort",
    "page",
    "per_page",
    "member",
    "quiet_min",
    "quiet_max",
    "contact_after",
    "since_before",
    "earnings_min",
    "earnings_max",
    "live_calls_min",
    "type",
    "follow_up",
    "missed",
    "new",
    "not_list",
    "scope",
    "events-sort",
    "events-page",
    "_export",
]

text_values = st.one_of(
    st.text(max_size=50),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            "%%",
            "-",
            "--customer",
            "0",
            "-1",
            "1e9",
            "2026-02-30",
            "9999-12-31",
            "12.345",
            "NaN",
            "None",
            "[]",
            "../../etc",
            "' OR 1=1 --",
            "<script>",
            "\x00",
            "²",
            "٣",
            "1e2",
            "csv",
            "x" * 10_000,
        ]
    ),
)
# Raw percent-encodings, including ones that are not UTF-8 (%ff, %c3%28).
raw_values = st.lists(
    st.sampled_from(["%ff", "%c3%28", "%00", "%e2%82", "a", "%25", "%2B"]), max_size=6
).map("".join)

query = st.lists(
    st.tuples(
        st.sampled_from(PARAMS), st.one_of(text_values.map(lambda v: quote(v, safe="")), raw_values)
    ),
    max_size=6,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))

PAGES = ["/customers/", "/lists/", "/customers/lookup/", "/customers/deleted/"]


@pytest.fixture
def populated_client(owner_client, owner):
    for name in ("alice", "Bob", "7even"):
        make_customer(owner, name)
    return owner_client


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query_string=query)
def test_no_query_string_causes_a_server_error(populated_client, path, query_string):
    response = populated_client.get(f"{path}?{query_string}")
    assert response.status_code < 500, f"{path}?{query_string[:200]}"
