"""Sessions and their turns: who may send what, one turn at a time per session, its events.

The core without I/O, fed by the WebSocket and REST adapters (`api/ws.py`, `api/ws_staff.py`,
`api/routes/chat.py`), which carry out what it decides:

- `connection`: a connection's protocol state (`ConnectionCore`: auth first, expiry, pings,
  which frames an `Endpoint` takes).
- `turn`: a session's turn lifecycle (`TurnLifecycle`).
- `supervisor`: a running turn's one reason to stop and what its end does (`TurnSupervision`,
  `Ending`), carried out by `turn_run`.
- `turn_queue`: how many turns run before their first token, and who waits (`TurnQueue`).
- `turn_events`: a turn's outcomes as protocol events (`TurnTranslator`).
- `coalesce`: tokens merged into fewer frames (`TokenMerger`, `TokenCoalescer`).
- `handoff_rules`: when a conversation needs a person.
- `turn_log`: the operator's line for each turn that ends (`TurnLog`).

And what runs a session's turns over the live state (`api.live`) and the database:

- `channel`: a session's channel, its numbered events, the connections watching and its
  running turn (`SessionChannel`).
- `channels`: the process's live sessions, a turn's start, a cancel wherever the turn runs
  (`ChannelRegistry`).
- `turn_run`: one run of a turn in its task: outbox (`outbox`: its events published in order,
  in batches), token coalescer, lease renewal, watchdog, fence, and each way it ends
  (`TurnRun`).
- `recovery`: the turns other processes left, run again by a survivor or closed at start-up.
- `admission`: the one dispatch of a chat message, WebSocket and REST alike (`admission.take`).
- `handoff`: handoff between the assistant and staff, saved and announced.
- `erasure`: a customer's data erased: their turns stopped, their rows and live state gone.
"""

from api.session.channel import SessionChannel
from api.session.channels import ChannelRegistry
from api.session.coalesce import TokenCoalescer, TokenMerger
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
from api.session.supervisor import Ending, Stop, TurnSupervision, shutdown_stop
from api.session.turn import TurnLifecycle, TurnPhase, TurnStateError
from api.session.turn_events import TurnTranslator
from api.session.turn_queue import Overloaded, Ticket, TurnQueue

__all__ = [
    "Action",
    "Authenticated",
    "ChannelRegistry",
    "Close",
    "ConnectionCore",
    "Dispatch",
    "Ending",
    "Endpoint",
    "Overloaded",
    "Phase",
    "Send",
    "SessionChannel",
    "Stop",
    "Ticket",
    "TokenCoalescer",
    "TokenMerger",
    "TurnLifecycle",
    "TurnPhase",
    "TurnQueue",
    "TurnStateError",
    "TurnSupervision",
    "TurnTranslator",
    "admission",
    "erasure",
    "handoff",
    "handoff_rules",
    "shutdown_stop",
]
