"""Every SQL query of the product, by aggregate, and `Database`, which opens the sessions.

- `conversations`: conversations and messages, idempotent client message ids, answers,
  replay numbering (`last_seq`), feedback.
- `admissions`: messages that start turns, stored together in one transaction under a crowd.
- `users`: users and their vehicles.
- `appointments`: workshop bookings.
- `staff`: handoff state changes and the staff audit trail.
- `notes`: staff notes on a conversation, which the customer never sees.
- `canned_replies`: the replies staff keep to put into a message.
- `ratings`: the customer's satisfaction with a closed conversation.
- `retention`: the conversations past the retention, and their removal or reduction.
- `console`: what the staff console lists and shows.
- `customers`: the console's panel of one customer.
- `customer_data`: one customer's data exported or erased (GDPR and CCPA requests), audited;
  `customer_record` types what it returns.
- `metrics`: the console's figures over a time window.
- `gaps`: the questions the knowledge base answered badly, for the knowledge manager.
- `db_engine`, under them all: the engine and its session factory, the reachability check,
  Alembic migrations and the start-up lock.
"""

from orchestrator.persistence.conversations import Opened, Prior
from orchestrator.persistence.database import Database, Person
from orchestrator.persistence.refusals import (
    TIMED_OUT,
    UNAVAILABLE,
    Fenced,
    Forbidden,
    NotFound,
    Refused,
)

__all__ = [
    "TIMED_OUT",
    "UNAVAILABLE",
    "Database",
    "Fenced",
    "Forbidden",
    "NotFound",
    "Opened",
    "Person",
    "Prior",
    "Refused",
]
