"""Large mass actions run in the background, in chunks (mycustomers.jobs)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, ContactEvent, Mail, MailDelivery
from contacts.types import ContactType
from lists.models import CustomerList, Membership
from lists.services import set_customer_lists
from mycustomers import jobs
from mycustomers.jobs import MembersUpdate, delete_list, rename_list
from mycustomers.models import Customer, CustomerStatus, MassAction
from tests.factories import make_customer, worker_seen

pytestmark = pytest.mark.django_db

NAMES = ("Anna", "Bob", "Cleo", "Dan", "Eve")
QUEUE_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def small_chunks(settings):
    """Over 2 customers runs in the background, 2 customers per transaction."""
    settings.MYCUSTOMERS = {
        **settings.MYCUSTOMERS,
        "BACKGROUND_ACTION_MIN": 2,
        "BACKGROUND_CHUNK": 2,
    }


@pytest.fixture
def queue_only(settings):
    """Tasks are queued, not run: the test applies the chunks itself."""
    settings.TASKS = QUEUE_ONLY


@pytest.fixture
def people(owner):
    return [make_customer(owner, name) for name in NAMES]


def statuses(owner):
    customers = Customer.objects.for_performer(owner).order_by("member_name")
    return dict(customers.values_list("member_name", "status"))


def start(owner, kind, **params):
    return jobs.start(
        performer=owner, kind=kind, customers=Customer.objects.for_performer(owner), **params
    )


def banner(response) -> str:
    page = response.content.decode()
    match = re.search(r'<div id="background-actions".*?</div>\s*</div>', page, re.S) or re.search(
        r'<div id="background-actions"[^>]*>\s*</div>', page
    )
    assert match, "no background-actions block on the page"
    return match[0]


class TestChunks:
    def test_an_action_is_applied_a_chunk_per_call_until_done(self, owner, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        assert (action.total, action.processed, action.state) == (5, 0, "running")
        assert jobs.apply_next_chunk(action.pk) is True
        assert list(statuses(owner).values()) == [
            "blocked",
            "blocked",
            "active",
            "active",
            "active",
        ]
        assert jobs.apply_next_chunk(action.pk) is True
        assert jobs.apply_next_chunk(action.pk) is False
        action.refresh_from_db()
        assert (action.processed, action.changed, action.state) == (5, 5, "done")
        assert action.finished_at is not None
        assert action.customer_ids == []  # forgotten once done
        assert set(statuses(owner).values()) == {"blocked"}

    def test_a_finished_action_is_never_applied_again(self, owner, people, queue_only):
        mail = Mail.objects.create(performer=owner, subject="Hi", body="Hello")
        action = start(owner, MassAction.Kind.SEND_MAIL, mail=mail)
        while jobs.apply_next_chunk(action.pk):
            pass
        assert jobs.apply_next_chunk(action.pk) is False  # resumed once more
        assert MailDelivery.objects.filter(mail=mail).count() == 5
        assert ContactEvent.objects.filter(type=ContactType.MAIL_SENT).count() == 5
        assert set(Customer.objects.values_list("mail_sent", flat=True)) == {1}

    def test_each_chunk_checks_again_who_is_eligible(self, owner, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        Customer.objects.filter(member_name="Eve").update(status=CustomerStatus.BLOCKED)
        while jobs.apply_next_chunk(action.pk):
            pass
        action.refresh_from_db()
        assert (action.processed, action.changed) == (5, 4)

    def test_the_selection_is_the_one_confirmed(self, owner, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        make_customer(owner, "Zoe")  # arrives after the performer confirmed
        jobs.run_mass_action.call(action.pk)
        assert statuses(owner)["Zoe"] == "active"

    def test_a_stopped_action_keeps_what_was_done(self, owner, people, queue_only):
        action = start(owner, MassAction.Kind.DELETE)
        jobs.apply_next_chunk(action.pk)
        jobs.cancel(action)
        assert jobs.apply_next_chunk(action.pk) is False
        assert list(statuses(owner).values()) == [
            "deleted",
            "deleted",
            "active",
            "active",
            "active",
        ]
        action.refresh_from_db()
        assert jobs.describe(action) == "Stopped after 2 of 5: Deleted 2 customers."
        assert action.customer_ids == []

    def test_a_failing_chunk_changes_nothing_and_ends_the_action(self, owner, people, queue_only):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        action = start(owner, MassAction.Kind.ASSIGN, list_ids=[vip.pk])
        jobs.apply_next_chunk(action.pk)
        assert Membership.objects.count() == 2
        vip.delete()  # meanwhile, on the lists page
        with pytest.raises(jobs.ActionError):
            jobs.apply_next_chunk(action.pk)
        action.refresh_from_db()
        assert (action.state, action.processed, action.customer_ids) == ("failed", 2, [])
        assert jobs.describe(action) == (
            "Failed after 2 of 5 (one of its lists was deleted meanwhile): "
            "Assigned 2 customers; the rest is unchanged."
        )

    def test_one_delete_shares_one_time_across_chunks(self, owner, people, queue_only):
        action = start(owner, MassAction.Kind.DELETE)
        jobs.run_mass_action.call(action.pk)
        times = set(Customer.objects.values_list("status_changed_at", flat=True))
        assert len(times) == 1 and None not in times

    def test_unfinished_actions_are_resumed(self, owner, people, queue_only, settings):
        action = start(owner, MassAction.Kind.BLOCK)
        jobs.apply_next_chunk(action.pk)
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        assert jobs.resume_unfinished() == 1
        action.refresh_from_db()
        assert (action.state, action.processed, action.changed) == ("done", 5, 5)
        assert jobs.resume_unfinished() == 0

    def test_the_assign_mail_and_restore_kinds(self, owner, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        start(owner, MassAction.Kind.ASSIGN, list_ids=[vip.pk])
        assert Membership.objects.filter(customer_list=vip).count() == 5
        start(owner, MassAction.Kind.DELETE)
        start(owner, MassAction.Kind.RESTORE)
        start(owner, MassAction.Kind.BLOCK)
        start(owner, MassAction.Kind.UNBLOCK)
        assert set(statuses(owner).values()) == {"active"}
        kinds = MassAction.objects.order_by("pk").values_list("kind", "state", "changed")
        assert list(kinds) == [
            ("assign", "done", 5),
            ("delete", "done", 5),
            ("restore", "done", 5),
            ("block", "done", 5),
            ("unblock", "done", 5),
        ]


class TestViews:
    def test_a_large_selection_is_queued_and_the_request_answers(self, owner_client, people):
        response = owner_client.post(
            reverse("customers:block"), {"scope": "all", "next": "/customers/"}, follow=True
        )
        page = response.content.decode()
        assert "Block: 5 customers, in the background." in page
        assert "Blocked 5 customers." in banner(response)
        assert set(Customer.objects.values_list("status", flat=True)) == {"blocked"}

    def test_a_small_selection_still_runs_at_once(self, owner_client, people):
        owner_client.post(reverse("customers:block"), {"ids": [people[0].pk, people[1].pk]})
        assert not MassAction.objects.exists()
        assert list(statuses(people[0].performer).values()).count("blocked") == 2

    def test_the_banner_polls_while_an_action_runs(self, owner, owner_client, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        jobs.apply_next_chunk(action.pk)
        shown = banner(owner_client.get(reverse("customers:list")))
        assert "Blocking 5 customers: 2 done so far." in shown
        assert 'hx-trigger="every 2s"' in shown and '<progress max="5" value="2"' in shown
        assert reverse("customers:stop_background", args=[action.pk]) in shown

        polled = owner_client.get(reverse("customers:background"))
        assert polled.content.decode().startswith("{#") is False
        assert "2 done so far" in polled.content.decode()
        jobs.run_mass_action.call(action.pk)
        done = owner_client.get(reverse("customers:background")).content.decode()
        assert "Blocked 5 customers." in done and "hx-trigger" not in done

    def test_stop_and_dismiss(self, owner, owner_client, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        jobs.apply_next_chunk(action.pk)
        response = owner_client.post(reverse("customers:stop_background", args=[action.pk]))
        assert response.status_code == 302
        action.refresh_from_db()
        assert action.state == "cancelled"
        assert "Stopped after 2 of 5" in banner(owner_client.get(reverse("customers:list")))

        owner_client.post(reverse("customers:dismiss_background", args=[action.pk]))
        assert "Stopped" not in banner(owner_client.get(reverse("customers:list")))

    @pytest.mark.parametrize("change", ["stop_background", "dismiss_background"])
    @pytest.mark.parametrize("next_page", ["foo", "login", "//evil.example/", "/lists/"])
    def test_stop_and_dismiss_go_back_only_to_a_path_of_this_site(
        self, owner, owner_client, people, queue_only, change, next_page
    ):
        action = start(owner, MassAction.Kind.BLOCK)
        response = owner_client.post(
            reverse(f"customers:{change}", args=[action.pk]), {"next": next_page}
        )
        expected = next_page if next_page == "/lists/" else reverse("customers:list")
        assert response.status_code == 302 and response["Location"] == expected

    def test_htmx_gets_the_banner_back(self, owner, owner_client, people):
        action = start(owner, MassAction.Kind.BLOCK)
        response = owner_client.post(
            reverse("customers:dismiss_background", args=[action.pk]), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert 'id="background-actions"' in response.content.decode()
        assert "Blocked" not in response.content.decode()

    def test_a_running_action_cannot_be_dismissed(self, owner, owner_client, people, queue_only):
        action = start(owner, MassAction.Kind.BLOCK)
        owner_client.post(reverse("customers:dismiss_background", args=[action.pk]))
        action.refresh_from_db()
        assert not action.dismissed

    def test_another_performers_actions_are_neither_shown_nor_changed(
        self, owner, owner_client, colleague, queue_only
    ):
        make_customer(colleague, "Zed")
        theirs = jobs.start(
            performer=colleague,
            kind=MassAction.Kind.BLOCK,
            customers=Customer.objects.for_performer(colleague),
        )
        assert "Blocking" not in banner(owner_client.get(reverse("customers:list")))
        assert "Blocking" not in owner_client.get(reverse("customers:background")).content.decode()
        for name in ("stop_background", "dismiss_background"):
            assert (
                owner_client.post(reverse(f"customers:{name}", args=[theirs.pk])).status_code == 404
            )
        theirs.refresh_from_db()
        assert theirs.state == "running" and not theirs.dismissed

    def test_logged_out_visitors_are_sent_to_log_in(self, client, owner, people):
        action = start(owner, MassAction.Kind.BLOCK)
        assert client.get(reverse("customers:background")).status_code == 302
        response = client.post(reverse("customers:dismiss_background", args=[action.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_send_mail_in_the_background_sends_once(self, owner, owner_client, people):
        Customer.objects.filter(member_name="Eve").update(status=CustomerStatus.BLOCKED)
        page = owner_client.get(reverse("customers:send_mail"), {"scope": "all"}, follow=True)
        page = page.content.decode()
        token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)[1]
        form = {"scope": "all", "subject": "Hi", "body": "Hello", "token": token}
        first = owner_client.post(reverse("customers:send_mail"), form, follow=True)
        assert "“Hi” sent to 4 customers." in banner(first)
        again = owner_client.post(reverse("customers:send_mail"), form, follow=True)
        assert "This mail was sent already" in again.content.decode()
        assert Mail.objects.count() == 1 and MassAction.objects.count() == 1
        assert MailDelivery.objects.count() == 4

    def test_nobody_to_mail_is_said_at_once(self, owner, owner_client, people):
        Customer.objects.update(status=CustomerStatus.BLOCKED)
        response = owner_client.post(
            reverse("customers:send_mail"),
            {"scope": "all", "list": "blocked", "subject": "Hi", "body": "Hello"},
        )
        assert response.status_code == 400
        assert "Nobody to send to" in response.content.decode()
        assert not Mail.objects.exists() and not MassAction.objects.exists()

    def test_assign_to_a_new_list_in_the_background(self, owner, owner_client, people):
        owner_client.post(reverse("customers:assign"), {"scope": "all", "new_list": "Gold"})
        gold = CustomerList.objects.get(name="Gold")
        assert Membership.objects.filter(customer_list=gold).count() == 5
        assert MassAction.objects.get().list_ids == [gold.pk]

    def test_undo_of_a_finished_background_delete(self, owner, owner_client, people):
        owner_client.post(reverse("customers:delete"), {"scope": "all"})
        assert set(statuses(owner).values()) == {"deleted"}
        response = owner_client.post(reverse("customers:undo_delete"), follow=True)
        assert "Undoing: restoring 5 customers in the background." in response.content.decode()
        assert set(statuses(owner).values()) == {"active"}

    def test_undo_stops_a_delete_still_running(
        self, owner, owner_client, people, settings, queue_only
    ):
        owner_client.post(reverse("customers:delete"), {"scope": "all"})
        delete = MassAction.objects.get()
        jobs.apply_next_chunk(delete.pk)
        jobs.apply_next_chunk(delete.pk)  # 4 of 5 deleted
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        owner_client.post(reverse("customers:undo_delete"))
        delete.refresh_from_db()
        assert delete.state == "cancelled"
        assert set(statuses(owner).values()) == {"active"}
        assert jobs.apply_next_chunk(delete.pk) is False
        assert set(statuses(owner).values()) == {"active"}

    def test_the_main_view_reads_the_actions_in_one_query(
        self, owner, owner_client, people, queue_only, django_assert_max_num_queries
    ):
        for _ in range(3):
            start(owner, MassAction.Kind.BLOCK)
        owner_client.get(reverse("customers:list"))
        # session, user, rows, background actions (the count is cached)
        with django_assert_max_num_queries(4):
            response = owner_client.get(reverse("customers:list"))
        assert banner(response).count("Blocking 5 customers") == 3

    def test_an_empty_banner_costs_no_query_once_known(
        self, owner, owner_client, people, django_assert_max_num_queries
    ):
        owner_client.get(reverse("customers:list"))
        # session, user, rows: the count and the empty banner are cached
        with django_assert_max_num_queries(3):
            response = owner_client.get(reverse("customers:list"))
        assert "Blocking" not in banner(response)

    def test_an_action_started_after_an_empty_banner_shows_at_once(
        self, owner, owner_client, people, queue_only
    ):
        assert "Blocking" not in banner(owner_client.get(reverse("customers:list")))
        action = start(owner, MassAction.Kind.BLOCK)
        assert "Blocking 5 customers" in banner(owner_client.get(reverse("customers:list")))
        jobs.run_mass_action.call(action.pk)
        assert "Blocked 5 customers." in banner(owner_client.get(reverse("customers:list")))
        owner_client.post(reverse("customers:dismiss_background", args=[action.pk]))
        assert "Blocked" not in banner(owner_client.get(reverse("customers:list")))
        assert "Blocked" not in banner(owner_client.get(reverse("customers:list")))


class TestListNames:
    """Renaming or deleting a list with many members updates their list names in the
    background (lists.services)."""

    @pytest.fixture
    def vip(self, owner, people):
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        set_customer_lists(
            performer=owner, customers=Customer.objects.for_performer(owner), lists=[vip]
        )
        return vip

    def list_names(self, owner):
        return set(Customer.objects.for_performer(owner).values_list("list_names", flat=True))

    def test_a_rename_is_immediate_for_the_list_and_chunked_for_its_members(
        self, owner, vip, queue_only
    ):
        update = rename_list(performer=owner, customer_list=vip, name="Gold")
        assert update == MembersUpdate(5, in_background=True)
        assert CustomerList.objects.get(pk=vip.pk).name == "Gold"
        assert self.list_names(owner) == {"VIP"}  # not yet
        action = MassAction.objects.get(kind=MassAction.Kind.LIST_NAMES)
        jobs.apply_next_chunk(action.pk)
        assert jobs.describe(action.__class__.objects.get(pk=action.pk)) == (
            "List “VIP” renamed to “Gold”: updating 5 customers: 2 done so far."
        )
        jobs.run_mass_action.call(action.pk)
        assert self.list_names(owner) == {"Gold"}
        action.refresh_from_db()
        assert jobs.describe(action) == "List “VIP” renamed to “Gold”: updated 5 customers."
        # One entry a chunk (of 2, 2 and 1), each in the history of its customers.
        assert Activity.objects.filter(detail="List “VIP” renamed to “Gold”").count() == 3
        for customer in Customer.objects.filter(performer=owner, list_names="Gold"):
            details = Activity.objects.of_customer(customer)
            assert details.filter(detail="List “VIP” renamed to “Gold”").count() == 1

    def test_a_delete_takes_the_members_before_their_memberships_go(self, owner, vip, queue_only):
        update = delete_list(performer=owner, customer_list=vip)
        assert update == MembersUpdate(5, in_background=True)
        assert not Membership.objects.exists()
        jobs.run_mass_action.call(MassAction.objects.get().pk)
        assert self.list_names(owner) == {""}
        assert {c.list_label for c in Customer.objects.for_performer(owner)} == {"Unassigned"}

    def test_a_list_names_update_cannot_be_stopped(self, owner, owner_client, vip, queue_only):
        rename_list(performer=owner, customer_list=vip, name="Gold")
        action = MassAction.objects.get()
        page = owner_client.get(reverse("lists:index"))
        shown = banner(page)
        assert "List “VIP” renamed to “Gold”: updating 5 customers" in shown
        assert "Stop" not in shown
        owner_client.post(reverse("customers:stop_background", args=[action.pk]))
        action.refresh_from_db()
        assert action.state == "running"

    def test_the_rename_page_says_so(self, owner, owner_client, vip):
        response = owner_client.post(
            reverse("lists:rename", args=[vip.pk]), {"name": "Gold"}, follow=True
        )
        page = response.content.decode()
        assert "Renamed the list “VIP” to “Gold”. Its 5 customers show the change" in page
        assert self.list_names(owner) == {"Gold"}  # tests run tasks as they are queued

    def test_a_small_list_is_updated_at_once(self, owner, people, settings):
        settings.MYCUSTOMERS = {**settings.MYCUSTOMERS, "BACKGROUND_ACTION_MIN": 5}
        vip = CustomerList.objects.create(performer=owner, name="VIP")
        set_customer_lists(
            performer=owner, customers=Customer.objects.for_performer(owner), lists=[vip]
        )
        assert rename_list(performer=owner, customer_list=vip, name="Gold") == MembersUpdate(
            5, in_background=False
        )
        assert not MassAction.objects.exists()
        assert self.list_names(owner) == {"Gold"}

    def test_the_stop_and_dismiss_buttons_come_back_to_the_page(self, owner, owner_client, people):
        action = start(owner, MassAction.Kind.BLOCK)
        response = owner_client.post(
            reverse("customers:dismiss_background", args=[action.pk]), {"next": "/lists/"}
        )
        assert response.url == "/lists/"
        response = owner_client.post(
            reverse("customers:dismiss_background", args=[action.pk]),
            {"next": "//elsewhere.example/"},
        )
        assert response.url == reverse("customers:list")

    def test_the_polled_banner_points_back_to_the_page_it_is_on(self, owner, owner_client, people):
        start(owner, MassAction.Kind.BLOCK)

        def polled(current_url: str) -> str:
            return owner_client.get(
                reverse("customers:background"),
                HTTP_HX_REQUEST="true",
                HTTP_HX_CURRENT_URL=current_url,
            ).content.decode()

        assert 'name="next" value="/lists/?a=1&amp;b=2"' in polled(
            "http://testserver/lists/?a=1&b=2"
        )
        assert 'name="next" value="/customers/"' in polled("http://testserver//elsewhere.example/")


def test_the_banner_shows_the_latest_five_of_the_last_day(owner, owner_client, people, queue_only):
    actions = [start(owner, MassAction.Kind.BLOCK) for _ in range(7)]
    MassAction.objects.filter(pk=actions[0].pk).update(
        state="done", finished_at=timezone.now() - timedelta(days=2)
    )
    shown = MassAction.objects.for_performer(owner).to_show()
    assert [a.pk for a in shown] == [a.pk for a in actions[2:]]  # oldest first
    assert banner(owner_client.get(reverse("customers:list"))).count("Blocking 5 customers") == 5
    MassAction.objects.filter(pk__in=[a.pk for a in actions[2:]]).update(
        state="done", finished_at=timezone.now(), dismissed=True
    )
    assert [a.pk for a in MassAction.objects.for_performer(owner).to_show()] == [actions[1].pk]


def test_an_action_nobody_runs_says_no_worker_runs(owner, people, queue_only):
    action = start(owner, MassAction.Kind.BLOCK)
    assert jobs.describe(action) == "Blocking 5 customers: waiting to start."
    action.created_at -= timedelta(minutes=2)
    assert jobs.describe(action) == (
        "Blocking 5 customers: waiting to start. "
        "No background worker is running: it goes on once one runs."
    )


def test_the_banner_says_when_no_worker_was_seen_for_a_minute_whatever_the_progress(
    owner, owner_client, people, queue_only
):
    action = start(owner, MassAction.Kind.BLOCK)
    jobs.apply_next_chunk(action.pk)  # 2 of 5 done, then the worker went away
    MassAction.objects.filter(pk=action.pk).update(created_at=timezone.now() - timedelta(hours=1))
    worker_seen("gone", timedelta(minutes=3, seconds=5))
    worker_seen("stopped", timedelta(seconds=5), stopped=True)  # stopped cleanly: not running

    assert "Blocking 5 customers: 2 done so far. No background worker has been seen for 3" in (
        banner(owner_client.get(reverse("customers:list")))
    )

    worker_seen("alive", timedelta(seconds=10))
    page = banner(owner_client.get(reverse("customers:list")))
    assert "Blocking 5 customers: 2 done so far." in page
    assert "No background worker" not in page
