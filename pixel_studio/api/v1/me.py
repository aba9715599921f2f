"""`GET /api/v1/me` and `GET /api/v1/me/credits`: the token owner's account and ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, uid
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS
from pixel_studio.api.v1.schemas import (
    MAX_CURSOR,
    CreditOut,
    CreditsOut,
    MeOut,
    avatar_url,
    decode_cursor,
    encode_cursor,
)
from pixel_studio.services import credits, users
from pixel_studio.services.social import follows
from pixel_studio.storage import get_storage

router = APIRouter(tags=["account"], responses=COMMON_ERRORS)


class PageQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)
    limit: int = Field(default=25, ge=1, le=100)


@router.get("/me", response_model=MeOut)
def me(user: TokenUser, session: SessionDep, settings: SettingsDep) -> MeOut:
    fresh = users.get_user(session, uid(user))
    count = follows.counts(session, uid(user))
    return MeOut(
        id=uid(fresh),
        username=fresh.username,
        email=fresh.email,
        credits=fresh.credits,
        default_private=fresh.default_private,
        avatar_url=avatar_url(get_storage(settings), fresh.avatar_key),
        created_at=fresh.created_at,
        followers=count.followers,
        following=count.following,
    )


@router.get("/me/credits", response_model=CreditsOut, responses=BAD_INPUT)
def credit_history(
    query: Annotated[PageQuery, Query()], user: TokenUser, session: SessionDep
) -> CreditsOut:
    """Every credit movement, newest first (purchases, spends, refunds, grants)."""
    page = credits.history(
        session, uid(user), before=decode_cursor(query.cursor), limit=query.limit
    )
    balance = users.get_user(session, uid(user)).credits
    items = [
        CreditOut(
            id=i.id,
            amount=i.amount,
            kind=i.kind,
            note=i.note,
            balance_after=i.balance_after,
            created_at=i.created_at,
            job_id=i.job_id,
        )
        for i in page.items
    ]
    return CreditsOut(balance=balance, items=items, next_cursor=encode_cursor(page.next_before))
