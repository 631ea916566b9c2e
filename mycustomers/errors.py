"""Errors shared by every app's services."""


class ActionError(Exception):
    """A change that cannot be applied; the message is shown to the performer."""
