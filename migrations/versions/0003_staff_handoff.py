"""Handoff to staff: who took a conversation over, its last route, and an audit of actions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 04:12:07.544042
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_staff_actions_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["users.id"],
            name=op.f("fk_staff_actions_staff_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_actions")),
    )
    with op.batch_alter_table("staff_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_staff_actions_conversation_id_created_at",
            ["conversation_id", "created_at"],
            unique=False,
        )

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_staff_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("last_route", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_confidence", sa.Float(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conversations_assigned_staff_id_users"),
            "users",
            ["assigned_staff_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_conversations_assigned_staff_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("last_confidence")
        batch_op.drop_column("last_route")
        batch_op.drop_column("assigned_staff_id")

    with op.batch_alter_table("staff_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_actions_conversation_id_created_at")

    op.drop_table("staff_actions")
