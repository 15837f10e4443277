"""Users and their vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Role, User, Vehicle


async def ensure_user(
    session: AsyncSession, user_id: str, name: str, role: str = Role.customer
) -> User:
    """The user with this id, created with `name` and `role` if new.

    An INSERT … ON CONFLICT DO NOTHING rather than a flush and a rollback on IntegrityError:
    two first messages of one user may race, and a rollback would undo the caller's
    transaction with it.
    """
    user = await session.get(User, user_id)
    if user is not None:
        return user
    await add_users(session, [{"id": user_id, "name": name, "role": role}])
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def add_users(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert these users (id, name, role), leaving any that exist as they are: one INSERT …
    ON CONFLICT DO NOTHING for them all."""
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(User).on_conflict_do_nothing(index_elements=[User.id]), list(rows))


async def customer_profile(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    """The customer's id and vehicles, as the specialists read them."""
    vehicles = await session.scalars(select(Vehicle).where(Vehicle.owner_id == customer_id))
    return {
        "id": customer_id,
        "vehicles": [
            {"model": v.model, "variant": v.variant, "year": v.year, "mileage_km": v.mileage_km}
            for v in vehicles
        ],
    }


async def vehicle_owner(session: AsyncSession, vehicle_id: str) -> str | None:
    return await session.scalar(select(Vehicle.owner_id).where(Vehicle.id == vehicle_id))
