"""The session core without I/O: a connection's protocol state, a session's turn lifecycle,
a running turn's supervision and its numbered event log. The WebSocket and REST adapters
(`api/ws.py`, `api/ws_staff.py`, `api/routes/chat.py`) and the channel registry
(`api/channels.py`) feed these plain classes and carry out what they decide."""

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
from api.session.replay import EventLog
from api.session.supervisor import Ending, Stop, TurnSupervision, shutdown_stop
from api.session.turn import TurnLifecycle, TurnPhase, TurnStateError

__all__ = [
    "Action",
    "Authenticated",
    "Close",
    "ConnectionCore",
    "Dispatch",
    "Ending",
    "Endpoint",
    "EventLog",
    "Phase",
    "Send",
    "Stop",
    "TurnLifecycle",
    "TurnPhase",
    "TurnStateError",
    "TurnSupervision",
    "shutdown_stop",
]
