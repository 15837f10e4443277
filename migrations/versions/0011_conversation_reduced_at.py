"""When the retention reduced a conversation's graph checkpoints to its latest one.

With `RETENTION_STRATEGY=keep_latest` an idle conversation is kept, its older checkpoints
removed; the time it was reduced, cleared when it changes, lets the next sweeps pass it by until
then, and find the conversations still to reduce by an index.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reduced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_conversations_reduced_at_updated_at", ["reduced_at", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_reduced_at_updated_at")
        batch_op.drop_column("reduced_at")
