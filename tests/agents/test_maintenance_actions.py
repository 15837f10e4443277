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
        ("Can I schedule an oil change for Friday?", "book"),
        ("Schedule my annual service next week", "book"),
        ("How often should the chain be lubed per the schedule?", None),
        ("What does the maintenance schedule say about brake fluid?", None),
        ("What's the maintenance schedule for the hybrid?", None),
        ("Is the service schedule in the handbook?", None),
        ("Please cancel my appointment", "cancel"),
        ("cancel it", "cancel"),
        ("move it to Thursday", "move"),
        ("Can you reschedule my booking to Friday at 10?", "move"),
        ("Please change my appointment to next week", "move"),
        ("Can you change the wiper blades on it?", None),
        ("Can I move the seat forward while driving it?", None),
        ("When should I shift gears on it?", None),
        ("How often should I change it?", None),
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


def test_a_move_keeps_the_reference_it_names() -> None:
    requested = requested_action("Please move booking 3c1376 to Thursday at 9")
    assert requested is not None and (requested.action, requested.reference) == ("move", "3C1376")
