"""One customer's data, for their requests under GDPR and CCPA: exported whole as JSON by staff
or admins, erased by admins. Each export and erasure is recorded (`data_requests`).

Erasure is for admins only: it cannot be undone, and it removes what other staff wrote (their
notes, their messages and actions in the customer's conversations) with it. A support agent
takes the request and exports the data; an admin, or the command line, erases it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException

from api.auth import Principal
from api.deps import AdminUser, StaffUser, State
from api.session import erasure
from orchestrator.persistence import NotFound, Person, Refused
from orchestrator.persistence.customer_record import CustomerExport, Erasure

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/staff/customers", tags=["customers"])


def _person(principal: Principal) -> Person:
    return (principal.id, principal.name, principal.role)


def _refused(customer_id: str, exc: Exception) -> HTTPException:
    if isinstance(exc, NotFound):
        return HTTPException(404, {"code": "NOT_FOUND", "message": f"No customer {customer_id}"})
    return HTTPException(409, {"code": "CONFLICT", "message": str(exc)})


@router.get("/{customer_id}/export", response_model=CustomerExport)
async def export(customer_id: str, staff: StaffUser, state: State) -> CustomerExport:
    """Everything stored about one customer, as JSON (recorded); 409 for a staff account."""
    try:
        return await state.orchestrator.services.db.export_customer(
            customer_id, _person(staff), gap_score_below=state.settings.gap_score_below
        )
    except (NotFound, Refused) as exc:
        raise _refused(customer_id, exc) from None


@router.delete("/{customer_id}", response_model=Erasure)
async def erase(customer_id: str, admin: AdminUser, state: State) -> Erasure:
    """Erase one customer: their running turns stopped, every row of theirs removed (graph
    checkpoints included) and what live state keeps of their sessions dropped; rows removed
    per table (recorded, without content). Admins only; 409 for a staff account."""
    try:
        erased = await erasure.erase_customer(state, customer_id, _person(admin))
    except (NotFound, Refused) as exc:
        raise _refused(customer_id, exc) from None
    log.info("a customer's data was erased by %s: %d rows", admin.id, sum(erased.counts.values()))
    return erased
