"""Event types for the event-store tests (the store knows nothing of codes)."""

from dataclasses import dataclass

import pytest

from events.registry import event_type


@event_type("test.Deposited")
@dataclass(frozen=True)
class Deposited:
    account: str
    amount: int


@event_type("test.Withdrawn")
@dataclass(frozen=True)
class Withdrawn:
    account: str
    amount: int


@pytest.fixture(autouse=True)
def _no_catch_up_after_commit(settings):
    """These tests drive projectors themselves, so commits do not trigger them."""
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False


def deposit(account: str = "a", amount: int = 1):
    from events.store import NewEvent

    return NewEvent(type="test.Deposited", data={"account": account, "amount": amount})
