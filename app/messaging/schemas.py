from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked by the service, in plain words: not empty, at most 4,000 characters (422 with ``fields``).
    body: str | None = None


class ReceiptOut(BaseModel):
    user_id: int
    read_at: datetime


class MessageOut(BaseModel):
    id: int
    sender_id: int | None
    body: str
    created_at: datetime
    read_by: list[ReceiptOut] = []


class CrisisResources(BaseModel):
    message: str
    lifeline: dict[str, str]
    emergency: str


class SentOut(MessageOut):
    crisis_resources: CrisisResources | None = None
