"""The customer's satisfaction with a conversation (1 to 5), asked when staff close it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.models import Conversation, ConversationStatus, Rating, utcnow
from orchestrator.persistence.refusals import NotFound, Refused


async def rate(
    session: AsyncSession, session_id: str, user_id: str, score: int, comment: str | None
) -> None:
    """Rate one of the user's own closed conversations (again: replace). NotFound if it is not
    theirs; Refused while it is open."""
    conversation = await session.get(Conversation, session_id)
    if conversation is None or conversation.owner_id != user_id:
        raise NotFound(session_id)
    if conversation.status != ConversationStatus.closed:
        raise Refused("A conversation is rated once it is closed")
    rating = await session.get(Rating, session_id)
    if rating is None:
        session.add(
            Rating(conversation_id=session_id, user_id=user_id, score=score, comment=comment)
        )
    else:
        rating.score, rating.comment, rating.created_at = score, comment, utcnow()
    await session.commit()
