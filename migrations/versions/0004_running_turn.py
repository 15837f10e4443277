"""Conversations remember the turn under way and its answer so far, so that a restart after a
crash can close it (`INTERRUPTED`) with what was delivered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("running_turn_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("partial_answer", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("partial_answer")
        batch_op.drop_column("running_turn_id")
