"""Messages sent while a turn is under way wait in line for their own turn.

A user message may be `queued` (stored, acknowledged, answered once the turns before it end);
its conversation counts how many wait, so that a message reads the line with the row it reads
anyway, and the sweep that starts a line left behind by a crash finds it by an index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_conversations_queued", ["queued"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queued", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("queued")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_queued")
        batch_op.drop_column("queued")
