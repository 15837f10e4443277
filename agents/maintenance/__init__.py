"""The maintenance specialist: schedules, fluids and tyres, warranty, and appointments."""

from agents.maintenance.examples import EXAMPLES
from agents.maintenance.node import maintenance
from agents.registry import Specialist

SPECIALIST = Specialist(
    name="maintenance",
    node=maintenance,
    label="Maintenance",
    description=(
        "service schedules and intervals, what a service includes, fluids and tyre care, "
        "booking / rescheduling / cancelling appointments and the rules about them, service "
        "centre hours, servicing costs, courtesy cars and warranty coverage"
    ),
    examples=EXAMPLES,
    helps_with="maintenance, service appointments and warranty questions",
    order=20,
)

__all__ = ["SPECIALIST"]
