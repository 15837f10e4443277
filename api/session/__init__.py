"""The session core without I/O: a connection's protocol state and a session's turn lifecycle.
The WebSocket and REST adapters (`api/ws.py`, `api/ws_staff.py`,
`api/routes/chat.py`) feed these plain classes and carry out what they decide."""

from api.session.connection import (
    Action,
    Authenticated,
    Close,
    ConnectionCore,
    Dispatch,
    Endpoint,
    Phase,
    Send,
)
from api.session.turn import TurnLifecycle, TurnPhase, TurnStateError

__all__ = [
    "Action",
    "Authenticated",
    "Close",
    "ConnectionCore",
    "Dispatch",
    "Endpoint",
    "Phase",
    "Send",
    "TurnLifecycle",
    "TurnPhase",
    "TurnStateError",
]
