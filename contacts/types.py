"""Contact types and their effects on a customer's counters (SPEC §2), as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.db import models


class ContactType(models.TextChoices):
    CALL_RECEIVED = "call_received", "Call Received"
    CALL_FEATURED_RECEIVED = (
        "call_featured_received",
        "Call from Top Picks / Featured Listing Received",
    )
    CALLBACK_RECEIVED = "callback_received", "Callback Received"
    CALLBACK_ATTEMPT = "callback_attempt", "Callback Attempt"
    CALL_MISSED = "call_missed", "Missed Call"
    CUSTOMER_MISSED_CALL = "customer_missed_call", "Customer Missed Call"
    RECORDED_CALL = "recorded_call", "Call Recorded Received"
    MAIL_SENT = "mail_sent", "Mail Sent"
    MAIL_SENT_SOLD = "mail_sent_sold", "Mail Sent Sold"
    MAIL_INVITATION_SENT = "mail_invitation_sent", "Mail Invitation Sent"
    MAIL_TIP_SENT = "mail_tip_sent", "Mail Tip Sent"
    MAIL_RECEIVED = "mail_received", "Mail Received"
    MAIL_RECEIVED_SOLD = "mail_received_sold", "Mail Received Sold"
    MAIL_TIP_RECEIVED = "mail_tip_received", "Mail Tip Received"
    CHAT = "chat", "Chat"
    GOODY_BAG = "goody_bag", "Goody Bag Purchased"
    FEED_SUBSCRIPTION = "feed_subscription", "Feed Subscription"


class MissedCall(Enum):
    SETS = "sets"
    CLEARS = "clears"


class Channel(models.TextChoices):
    CALL = "call", "Call"
    MAIL = "mail", "Mail"
    CHAT = "chat", "Chat"
    OTHER = "other", "Other"


@dataclass(frozen=True)
class Effect:
    counter: str | None  # Customer field incremented, if any
    by_quantity: bool  # increment by the event's quantity instead of 1
    missed_call: MissedCall | None
    channel: Channel
    clears_new: bool = False  # a sent mail ends the "new" badge (M6)


_CALL, _MAIL, _CHAT, _OTHER = Channel.CALL, Channel.MAIL, Channel.CHAT, Channel.OTHER
_SETS, _CLEARS = MissedCall.SETS, MissedCall.CLEARS

EFFECTS: dict[str, Effect] = {
    ContactType.CALL_RECEIVED: Effect("live_calls", False, _CLEARS, _CALL),
    ContactType.CALL_FEATURED_RECEIVED: Effect("live_calls", False, _CLEARS, _CALL),
    ContactType.CALLBACK_RECEIVED: Effect("live_calls", False, _CLEARS, _CALL),
    ContactType.CALLBACK_ATTEMPT: Effect(None, False, None, _CALL),
    ContactType.CALL_MISSED: Effect(None, False, _SETS, _CALL),
    ContactType.CUSTOMER_MISSED_CALL: Effect(None, False, None, _CALL),
    ContactType.RECORDED_CALL: Effect("recorded_calls", False, None, _CALL),
    ContactType.MAIL_SENT: Effect("mail_sent", False, _CLEARS, _MAIL, clears_new=True),
    ContactType.MAIL_SENT_SOLD: Effect("mail_sent", False, _CLEARS, _MAIL, clears_new=True),
    ContactType.MAIL_INVITATION_SENT: Effect("mail_sent", False, _CLEARS, _MAIL, clears_new=True),
    ContactType.MAIL_TIP_SENT: Effect("mail_sent", False, _CLEARS, _MAIL, clears_new=True),
    ContactType.MAIL_RECEIVED: Effect("mail_received", False, None, _MAIL),
    ContactType.MAIL_RECEIVED_SOLD: Effect("mail_received", False, None, _MAIL),
    ContactType.MAIL_TIP_RECEIVED: Effect("mail_received", False, None, _MAIL),
    ContactType.CHAT: Effect("chat_volleys", True, _CLEARS, _CHAT),
    ContactType.GOODY_BAG: Effect("goody_bags", True, None, _OTHER),
    ContactType.FEED_SUBSCRIPTION: Effect("feeds", False, None, _OTHER),
}
assert set(EFFECTS) == set(ContactType.values), "every contact type needs an effect"


def types_where(predicate) -> list[str]:
    return [code for code, effect in EFFECTS.items() if predicate(effect)]
