"""Which appointment action a message asks for, offline: the phrasings customers use."""

from __future__ import annotations

import pytest

from agents.maintenance.actions import requested_action


@pytest.mark.parametrize(
    ("message", "action"),
    [
        ("When can I bring my car for an oil change tomorrow?", "slots"),
        ("Which times are free for an oil change tomorrow?", "slots"),
        ("What times are available on Friday?", "slots"),
        ("Do I have any appointments?", "list"),
        ("What appointments do I have?", "list"),
        ("Which bookings have I made?", "list"),
        ("Book an oil change tomorrow at 10:00", "book"),
        ("Please cancel my appointment", "cancel"),
        # Questions about the rules or the service are answered, not acted on.
        ("Is the brake check free of charge?", None),
        ("Can I cancel without paying?", None),
        ("How many appointments do I have left on my plan?", None),
        ("Are appointments available on Saturdays?", None),
    ],
)
def test_the_action_a_message_asks_for(message: str, action: str | None) -> None:
    requested = requested_action(message)
    assert (requested.action if requested else None) == action
