"""The troubleshooting specialist: warning lights, fault codes, and what to do about them."""

from agents.registry import Specialist
from agents.troubleshooting.examples import EXAMPLES
from agents.troubleshooting.node import troubleshooting

SPECIALIST = Specialist(
    name="troubleshooting",
    node=troubleshooting,
    label="Troubleshooting",
    description=(
        "something is wrong with the vehicle: warning lights, diagnostic trouble codes, "
        "noises, vibrations, charging faults, starting problems, infotainment or phone "
        "connectivity issues, smells and leaks"
    ),
    examples=EXAMPLES,
    helps_with="troubleshooting warning lights, trouble codes and faults",
    order=30,
    faults=True,
)

__all__ = ["SPECIALIST"]
