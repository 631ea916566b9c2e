"""Mass actions in a real browser: header checkbox, "select all in view", confirmation with
the exact count, and Undo."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mycustomers import jobs
from mycustomers.models import Customer, MassAction
from tests.browser.a11y import assert_accessible
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fifteen(owner):
    for i in range(15):
        make_customer(owner, f"Member{i:02d}")


def test_header_checkbox_then_select_all_in_view_blocks_everyone(
    logged_in_page: Page, live_server, fifteen
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer&per_page=10")
    banner = page.get_by_label("Select all 15 customers in this view")
    expect(banner).to_be_hidden()

    page.get_by_label("Select every customer on this page").check()
    expect(page.get_by_label("Select Member00")).to_be_checked()
    expect(banner).to_be_visible()
    banner.check()
    assert_accessible(page)

    page.get_by_role("button", name="Block").first.click()
    expect(page.get_by_role("heading", name="Block customers")).to_be_visible()
    expect(page.get_by_text("All 15 customers in this view")).to_be_visible()
    page.get_by_role("button", name="Block 15 customers").click()
    expect(page.get_by_role("status")).to_contain_text("Blocked 15 customers.")
    assert Customer.objects.blocked().count() == 15


def test_unchecking_a_row_withdraws_the_select_all_choice(
    logged_in_page: Page, live_server, fifteen
):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer&per_page=10")
    page.get_by_label("Select every customer on this page").check()
    banner = page.get_by_label("Select all 15 customers in this view")
    banner.check()
    page.get_by_label("Select Member03").uncheck()
    expect(banner).to_be_hidden()
    expect(banner).not_to_be_checked()


def test_delete_checked_rows_then_undo(logged_in_page: Page, live_server, fifteen):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer&per_page=10")
    page.get_by_label("Select Member01").check()
    page.get_by_label("Select Member02").check()
    page.get_by_role("button", name="Delete").first.click()
    expect(page.get_by_text("2 customers selected")).to_be_visible()
    page.get_by_role("button", name="Delete 2 customers").click()

    expect(page.get_by_role("status")).to_contain_text("Deleted 2 customers.")
    assert page.url.endswith("/customers/?sort=customer&per_page=10")
    expect(page.get_by_role("link", name="Member01", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("Undone: restored 2 customers.")
    expect(page.get_by_role("link", name="Member01", exact=True)).to_be_visible()
    assert Customer.objects.deleted().count() == 0


def test_an_action_page_submits_once_while_the_server_works(
    logged_in_page: Page, live_server, owner
):
    customer = make_customer(owner, "Member00")
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/actions/send-mail/?ids={customer.pk}")
    page.get_by_label("Subject").fill("Hello")
    page.get_by_label("Message").fill("Thanks for calling")
    # After the page's own handler: note whether it let each submission through, and keep the
    # page here, as if the server were still working on the first.
    page.evaluate(
        """() => {
            window.submissions = [];
            window.addEventListener("submit", (event) => {
                window.submissions.push(!event.defaultPrevented);
                event.preventDefault();
            });
        }"""
    )
    page.get_by_role("button", name="Send Mail").click()
    working = page.get_by_role("button", name="Working…")
    expect(working).to_have_attribute("aria-disabled", "true")
    working.click(force=True)  # aria-disabled: Playwright would wait for it to be enabled
    page.get_by_label("Subject").press("Enter")
    assert page.evaluate("window.submissions") == [True, False, False]


def test_a_large_action_shows_its_progress_without_a_reload(
    logged_in_page: Page, live_server, fifteen, owner, settings
):
    # Over 10 customers runs in the background, 5 at a time; the test is the worker.
    settings.MYCUSTOMERS = {
        **settings.MYCUSTOMERS,
        "BACKGROUND_ACTION_MIN": 10,
        "BACKGROUND_CHUNK": 5,
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/?sort=customer&per_page=10")
    page.get_by_label("Select every customer on this page").check()
    page.get_by_label("Select all 15 customers in this view").check()
    page.get_by_role("button", name="Block").first.click()
    page.get_by_role("button", name="Block 15 customers").click()
    expect(page.get_by_role("status")).to_contain_text("Block: 15 customers, in the background.")
    progress = page.locator("#background-actions")
    expect(progress).to_contain_text("Blocking 15 customers: waiting to start.")
    assert_accessible(page)

    action = MassAction.objects.get(performer=owner)
    jobs.apply_next_chunk(action.pk)
    expect(progress).to_contain_text("5 done so far.")  # htmx polls every 2 s
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", "5")
    jobs.run_mass_action.call(action.pk)
    expect(progress).to_contain_text("Blocked 15 customers.")
    assert Customer.objects.blocked().count() == 15

    progress.get_by_role("button", name="Dismiss").click()
    expect(progress).not_to_contain_text("Blocked 15 customers.")
    page.reload()
    expect(page.locator("#background-actions")).to_be_empty()
