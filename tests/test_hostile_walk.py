"""Walk every URL pattern and every form with hostile values: never a server error.

The URL names are listed in WALKED and checked against the URLconf, so a new pattern fails
``test_every_url_pattern_is_walked`` until it is added here. Forms are not listed: they are
read from the HTML of the pages (every field, hidden ones included), so a new form or field is
attacked as soon as a page shows it. Each value replaces one field (the others keep their
values, so the view gets past its first check), or every parameter the spec names at once.

A try passes when the page answers below 500, a logged-in answer carries no-store and the
strict CSP, and nothing the page hands the browser leaves the site: no redirect
(``next=//evil.com``, ``next=foo``), no link, form action, button ``formaction`` or htmx URL,
and no ``next`` field that a form would post. Return addresses are attacked with the ways a
browser reads as another origin or a script (``javascript:``, ``//host``, ``\\host``,
``/\\host``, a tab or a space before ``//``), in the ``next`` of every page and form, and in
the ``HX-Current-URL`` an htmx request says it came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode

from contacts.models import Mail, Note, Offer
from contacts.types import ContactType
from lists.models import CustomerList, Membership, SmartList
from mycustomers.models import Customer, MassAction, SavedView
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db

# Every named pattern outside the admin (Django's own, staff only: tests/admin), by the page
# its ``pk`` names.
WALKED = {
    "home": None,
    "login": None,
    "logout": None,
    "account": None,
    "password_change": None,
    "password_change_done": None,
    "password_reset": None,
    "password_reset_done": None,
    "password_reset_confirm": None,
    "password_reset_complete": None,
    "customers:list": None,
    "customers:export": None,
    "customers:columns": None,
    "customers:save_view": None,
    "customers:default_view": "saved_view",
    "customers:delete_view": "saved_view",
    "customers:dismiss_flag": "customer",
    "customers:lookup": None,
    "customers:lookup_suggest": None,
    "customers:detail": "customer",
    "customers:history": "customer",
    "customers:purchase": "customer",
    "customers:nickname": "customer",
    "customers:follow_up": "customer",
    "customers:customer_lists": "customer",
    "customers:add_note": "customer",
    "customers:edit_note": "customer",
    "customers:delete_note": "customer",
    "customers:send_offer": "customer",
    "customers:send_mail": None,
    "customers:block": None,
    "customers:unblock": None,
    "customers:delete": None,
    "customers:restore": None,
    "customers:assign": None,
    "customers:add_to_list": None,
    "customers:remove_from_list": None,
    "customers:undo_delete": None,
    "customers:deleted": None,
    "customers:background": None,
    "customers:stop_background": "mass_action",
    "customers:dismiss_background": "mass_action",
    "lists:index": None,
    "lists:create": None,
    "lists:choose": None,
    "lists:edit": "list",
    "lists:add": "list",
    "lists:remove": "list",
    "lists:rename": "list",
    "lists:delete": "list",
    "lists:smart_create": None,
    "lists:smart_preset": None,
    "lists:smart_rules": "smart_list",
    "lists:smart_rename": "smart_list",
    "lists:smart_delete": "smart_list",
}

# Every GET parameter SPEC.md names (§3 main view, §10 F1 filters, §11), and the pages' own.
COUNTERS = ["live_calls", "recorded_calls", "mail_sent", "mail_received", "goody_bags"]
COUNTERS += ["chat_volleys", "feeds"]
SPEC_PARAMS = ["q", "letter", "list", "sort", "page", "per_page", "member", "scope", "type"]
SPEC_PARAMS += ["quiet_min", "quiet_max", "contact_after", "contact_before", "since_after"]
SPEC_PARAMS += ["since_before", "earnings_min", "earnings_max", "follow_up", "missed", "new"]
SPEC_PARAMS += ["not_list", "overdue", "segment", "view", "smart", "_export", "ids", "next"]
SPEC_PARAMS += ["draft", "events-sort", "events-page", "notes-page", "activity-page"]
SPEC_PARAMS += [f"{c}_{end}" for c in COUNTERS for end in ("min", "max")]

# Hostile values, already percent-encoded as they travel (so lone surrogates and bytes that are
# not UTF-8 reach the server as a browser or a script could send them).
HOSTILE = [
    quote(value, safe="")
    for value in [
        "",
        " ",
        "²",
        "٣",
        "１",
        "1e2",
        "-1",
        "0",
        "1.5",
        "NaN",
        "-9223372036854775809",
        "99999999999999999999999999",
        "9" * 5000,
        "x" * 20_000,
        "0000-00-00",
        "9999-12-31",
        "0001-01-01",
        "2026-02-30",
        "foo",
        "customers:list",
        "//evil.com",
        "https://evil.com/",
        "/\\evil.com",
        "javascript:alert(1)",
        "\x00",
        "a\x00b",
        "' OR 1=1 --",
        '"><script>alert(1)</script>',
        "%",
        "00000000-0000-0000-0000-000000000000",
    ]
] + ["%ED%A0%80", "%ff", "%c3%28", "%00"]
# Return addresses a browser would follow to another origin or run as script (Django's
# url_has_allowed_host_and_scheme refuses each); HOSTILE has the plainer ones.
REDIRECTS = ["//evil.example/", "https://evil.example/", "\\\\evil.example", "/\\evil.example"]
REDIRECTS += ["javascript:alert(1)", "JavaScript:alert(1)", "\tjavascript:alert(1)"]
REDIRECTS += ["/\t/evil.example", " //evil.example", "http:evil.example", "https:/evil.example"]
REDIRECTS += ["data:text/html,<script>alert(1)</script>", "/customers/\\\\evil.example"]
REDIRECTS = [quote(value, safe="") for value in REDIRECTS]
HOSTILE += REDIRECTS[:5]
# The handful sent to each parameter of every page one by one (all of HOSTILE go to forms).
SHORT = [quote(v, safe="") for v in ["²", "٣", "foo", "//evil.com", "9" * 40, "2026-02-30"]]
SHORT += ["%ED%A0%80", "%00", quote("x" * 5000)]
# Fields a POST view takes whichever form sends it (for views with no form on any page).
GENERIC_POST = ["ids", "list", "next", "name", "body", "value", "nickname", "follow_up"]
GENERIC_POST += ["lists", "subject", "customer_list", "new_list", "columns", "default"]


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)


# Where a page sends the browser: the attributes that hold an address (htmx's included), the
# fields a form posts as its return address, and the headers that redirect (htmx's included).
URL_ATTRIBUTES = {"href", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch"}
URL_ATTRIBUTES |= {"hx-delete", "hx-push-url", "hx-replace-url"}
RETURN_FIELDS = {"next"}
REDIRECT_HEADERS = ["Location", "HX-Redirect", "HX-Location", "HX-Push-Url", "HX-Replace-Url"]


def stays_on_the_site(url: str, *, path: bool = False) -> bool:
    """Whether a browser on a page of this site that follows ``url`` stays on it (or goes to
    the marketplace's member pages, D1), running no script. Empty, "#…" and "?…" are this
    page. ``path``: a return address, followed as a path of the site
    (mycustomers.views.next_url), so nothing else either."""
    if not url.strip(" \t\n\r\f"):
        return True
    if path and not url.startswith("/"):
        return False
    if not path and url.startswith(settings.MEMBER_PAGE_BASE_URL):
        return True
    # Where a browser goes is in the address's start; Django refuses any address over 2,048
    # characters, and a long path of this site is no danger.
    return url_has_allowed_host_and_scheme(url[:2000], allowed_hosts={"testserver"})


class FormsAndLinks(HTMLParser):
    """The forms of a page (every named field with its value), its links' query names, and
    every address it may send the browser to (``targets``: where it stands, the address)."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.link_params: dict[str, set[str]] = {}
        self.targets: list[tuple[str, str, bool]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.targets.append((f"<{tag} {name}>", value, False))
        if tag in {"input", "button"} and a.get("name") in RETURN_FIELDS:
            self.targets.append((f"<{tag} name={a['name']}>", a.get("value") or "", True))
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self.forms.append(Form(action, (a.get("method") or "get")))
        elif tag == "a" and (a.get("href") or "").startswith("/"):
            parts = urlsplit(a["href"])
            names = {pair.split("=")[0] for pair in parts.query.split("&") if pair}
            self.link_params.setdefault(parts.path, set()).update(names)
        elif tag == "option" and self._select and self.forms:
            # The first option is the select's value.
            if not any(name == self._select for name, _ in self.forms[-1].fields):
                self.forms[-1].fields.append((self._select, a.get("value") or ""))
        elif not self.forms or "name" not in a:
            return
        elif tag in {"input", "button"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.forms[-1].fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1].fields.append((a["name"], ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms and self.forms[-1].fields:
            name, value = self.forms[-1].fields[-1]
            self.forms[-1].fields[-1] = (name, value + data)


def walked_patterns() -> set[str]:
    found: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace != "admin":
                    walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                found.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, None)
    return found


def test_every_url_pattern_is_walked():
    missing = walked_patterns() - set(WALKED)
    assert not missing, f"add {sorted(missing)} to WALKED in this test"
    assert not set(WALKED) - walked_patterns(), "WALKED names a pattern that is gone"


@pytest.fixture
def data(owner, colleague):
    """The owner's rows of every kind a URL can name (and a colleague sharing the member)."""
    customer = add_event(owner, "alice", ContactType.CALL_RECEIVED, amount=10)
    add_event(owner, "alice", ContactType.CALL_MISSED)
    make_customer(owner, "Bob")
    make_customer(colleague, "alice")
    deleted = make_customer(owner, "Gone")
    Customer.objects.filter(pk=deleted.pk).update(status="deleted")
    customer_list = CustomerList.objects.create(performer=owner, name="Regulars")
    Membership.objects.create(performer=owner, customer=customer, customer_list=customer_list)
    note = Note.objects.create(performer=owner, customer=customer, body="likes jazz")
    Offer.objects.create(performer=owner, customer=customer, value=5)
    Mail.objects.create(performer=owner, subject="s", body="b")
    return {
        "customer": customer,
        "event": customer.events.first(),
        "note": note,
        "list": customer_list,
        "smart_list": SmartList.objects.create(performer=owner, name="Big", rules="earnings_min=5"),
        "saved_view": SavedView.objects.create(performer=owner, name="Mine", query="sort=name"),
        "mass_action": MassAction.objects.create(
            performer=owner, kind=MassAction.Kind.BLOCK, customer_ids=[customer.pk], total=1
        ),
    }


def url_for(name: str, data, owner) -> str:
    kwargs: dict[str, object] = {}
    if WALKED[name]:
        kwargs["pk"] = data[WALKED[name]].pk
    if name == "customers:purchase":
        kwargs["event_pk"] = data["event"].pk
    if name in {"customers:edit_note", "customers:delete_note"}:
        kwargs["note_pk"] = data["note"].pk
    if name == "password_reset_confirm":
        kwargs["uidb64"] = urlsafe_base64_encode(force_bytes(owner.pk))
        kwargs["token"] = default_token_generator.make_token(owner)
    return reverse(name, kwargs=kwargs)


class Walk:
    """Sends the tries and keeps what failed (all of them, not just the first)."""

    def __init__(self, client: Client):
        self.client = client
        self.tries = 0
        self.failures: list[str] = []

    def send(
        self, method: str, url: str, pairs: list[tuple[str, str]], headers: dict | None = None
    ) -> object | None:
        """``pairs`` hold values already percent-encoded."""
        body = "&".join(f"{quote(k, safe='')}={v}" for k, v in pairs)
        self.tries += 1
        label = f"{method} {url} {body[:160]}{f' {headers}' if headers else ''}"
        try:
            if method == "GET":
                response = self.client.get(f"{url}?{body}" if body else url, headers=headers)
            else:
                response = self.client.generic(
                    "POST",
                    url,
                    body,
                    content_type="application/x-www-form-urlencoded",
                    headers=headers,
                )
        except Exception as error:  # the test client re-raises a view's exception
            self.failures.append(f"{label} → {type(error).__name__}: {str(error)[:200]}")
            return None
        problem = self.check(response)
        if problem:
            self.failures.append(f"{label} → {problem}")
        return response

    def check(self, response) -> str:
        if response.status_code >= 500:
            return f"status {response.status_code}"
        if response.status_code in {301, 302, 303, 307, 308}:
            target = urlsplit(response["Location"])
            if target.netloc not in {"", "testserver"} or not target.path.startswith("/"):
                return f"redirect off the site to {response['Location'][:100]}"
        for where, url, path in sends_the_browser_to(response):
            if not stays_on_the_site(url, path=path):
                return f"{where} leaves the site: {url[:100]!r}"
        csp = response.headers.get("Content-Security-Policy", "")
        if "unsafe-inline" in csp or "script-src 'self'" not in csp:
            return f"CSP is {csp!r}"
        if response.wsgi_request.user.is_authenticated and "no-store" not in response.get(
            "Cache-Control", ""
        ):
            return "a logged-in page without Cache-Control: no-store"
        return ""


def parse(response) -> FormsAndLinks:
    if not hasattr(response, "parsed"):
        response.parsed = FormsAndLinks(response.wsgi_request.get_full_path())
        if "html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
            response.parsed.feed(response.content.decode())
    return response.parsed


def sends_the_browser_to(response) -> list[tuple[str, str, bool]]:
    """(where, address, whether a path) for each redirect header and address in the page."""
    found = []
    for header in REDIRECT_HEADERS:
        if header in response.headers:
            value = response.headers[header]
            if header == "HX-Location" and value.startswith("{"):
                value = json.loads(value).get("path", "")
            found.append((header, value, False))
    return found + parse(response).targets


def url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


@pytest.fixture
def walk(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return Walk(client)


def attack_form(walk: Walk, form: Form, values: list[str], only: set[str] | None = None) -> None:
    """Each field of ``form`` (of ``only``, if given) in turn given each value, the others as
    the page filled them."""
    base = [(name, quote(value, safe="")) for name, value in form.fields]
    for index, (name, _) in enumerate(base):
        if name == "csrfmiddlewaretoken" or (only and name not in only):
            continue
        for value in values:
            walk.send(
                form.method.upper(), form.action, [*base[:index], (name, value), *base[index + 1 :]]
            )
    if only:
        return
    for value in values:  # and a field the form does not have, repeated
        walk.send(form.method.upper(), form.action, [*base, ("ids", value), ("ids", value)])


# Mass-action pages show their form for a selection; the pages only a visitor sees are walked
# logged out too.
ACTIONS = {"send_mail", "block", "unblock", "delete", "restore", "assign", "add_to_list"}
ACTIONS = {f"customers:{a}" for a in ACTIONS | {"remove_from_list", "undo_delete"}}
LOGGED_OUT = {"login", "password_reset", "password_reset_done", "password_reset_confirm"}
LOGGED_OUT |= {"password_reset_complete"}
# Pages that read the main view's query (SPEC §10 F3): every SPEC parameter alone; the
# others get them all at once, and their own (their links' and forms') alone.
TAKE_THE_VIEW = ACTIONS | {"customers:list", "customers:export", "customers:columns"}
TAKE_THE_VIEW |= {"customers:save_view", "customers:deleted", "lists:smart_create"}
# In the header of every page: attacked on its own page only.
HEADER_FORMS = {"customers:lookup"}
# Whole numbers in a path that no row has, or that no bigint holds.
PATH_NUMBERS = [0, 2**31, 2**63, 10**30]


@pytest.mark.parametrize("name", sorted(set(WALKED) - {"logout"}))
def test_hostile_values_never_cause_a_server_error(walk, data, owner, name, capsys):
    url = url_for(name, data, owner)
    walk_page(walk, name, url, data)
    if name in LOGGED_OUT:
        walk.client.logout()
        walk_page(walk, name, url, data)
    with capsys.disabled():
        print(f"\n{name}: {walk.tries} tries")
    assert not walk.failures, "\n".join(walk.failures[:40])


def walk_page(walk: Walk, name: str, url: str, data) -> None:
    start = [("ids", str(data["customer"].pk)), ("next", "/customers/")] if name in ACTIONS else []
    first = walk.send("GET", url, start)
    if first is None:
        return
    if first.status_code == 302 and urlsplit(first["Location"]).path == url:  # a draft token
        first = walk.send("GET", first["Location"], [])
    page = parse(first)
    own = page.link_params.get(urlsplit(url).path, set()) | {"next", "draft", "page"}
    for value in HOSTILE:  # every parameter at once, then each alone
        walk.send("GET", url, [(p, value) for p in sorted(own | set(SPEC_PARAMS))])
        walk.send("POST", url, [(p, value) for p in GENERIC_POST])
    for value in REDIRECTS:  # return addresses, also as the page an htmx request came from
        walk.send("GET", url, [*start_without_next(start), ("next", value)])
        walk.send("POST", url, [*start_without_next(start), ("next", value)])
        came_from = {"HX-Request": "true", "HX-Current-URL": unquote(value)}
        walk.send("GET", url, start, headers=came_from)
    for param in sorted(own | (set(SPEC_PARAMS) if name in TAKE_THE_VIEW else set())):
        for value in SHORT:
            walk.send("GET", url, [(param, value)])
    for path in hostile_paths(name, url):
        walk.send("GET", path, [])
        walk.send("POST", path, [("next", "//evil.com")])
    # The page's own forms (deleting ones last, so the others still find their rows).
    skipped = {"logout", None} | (HEADER_FORMS - {name})
    forms = [f for f in page.forms if url_name(urlsplit(f.action).path) not in skipped]
    for form in sorted(forms, key=lambda f: "delete" in f.action):
        attack_form(walk, form, HOSTILE)
        if any(name in RETURN_FIELDS for name, _ in form.fields):
            attack_form(walk, form, REDIRECTS, only=RETURN_FIELDS)


def start_without_next(start: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in start if name != "next"]


def hostile_paths(name: str, url: str) -> list[str]:
    """The page's address with each of its path arguments replaced by a hostile one."""
    match = resolve(url)
    paths = []
    for key, value in match.kwargs.items():
        replacements = PATH_NUMBERS if isinstance(value, int) else HOSTILE
        for replacement in replacements:
            try:
                paths.append(reverse(name, kwargs={**match.kwargs, key: replacement}))
            except NoReverseMatch:  # a value the converter refuses: no such address
                continue
    return paths


def test_logout_with_hostile_next_stays_on_the_site(owner):
    client = Client(enforce_csrf_checks=False)
    walk = Walk(client)
    for value in HOSTILE:
        client.force_login(owner)
        walk.send("POST", reverse("logout"), [("next", value)])
    assert not walk.failures, "\n".join(walk.failures)


@pytest.mark.parametrize("value", [unquote(value) for value in REDIRECTS[:-1]])
def test_each_return_address_tried_would_leave_the_site(value):
    page = FormsAndLinks("/customers/")
    page.feed(
        f'<a href="{escape(value)}">Back</a><form hx-post="{escape(value)}">'
        f'<input type="hidden" name="next" value="{escape(value)}"></form>'
    )
    assert [stays_on_the_site(url, path=path) for _, url, path in page.targets] == [False] * 3


@pytest.mark.parametrize(
    "value", ["/customers/?letter=B", "?page=2", "#notes", "", "/" + "x" * 3000]
)
def test_a_path_of_the_site_stays_on_it(value):
    assert stays_on_the_site(value, path=value[:1] == "/")
