"""Users and their vehicles."""

from __future__ import annotations

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
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(User)
        .values(id=user_id, name=name, role=role)
        .on_conflict_do_nothing(index_elements=[User.id])
    )
    user = await session.get(User, user_id)
    assert user is not None
    return user


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
