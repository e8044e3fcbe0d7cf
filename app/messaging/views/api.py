"""Secure messaging API (contract section "Visit notes, problems, tasks, messages, invitations")."""

from __future__ import annotations

from flask_login import current_user

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.messaging import service
from app.messaging.message import Message
from app.messaging.schemas import CrisisResources, MessageIn, MessageOut, ReceiptOut, SentOut
from app.reference import crisis

P = "/patients/<int:patient_id>/messages"
TAGS = ["messages"]


def _out(m: Message, receipts: list[service.Receipt] | None = None) -> MessageOut:
    return MessageOut(
        id=m.id,
        sender_id=m.sender_id,
        body=m.body,
        created_at=m.created_at,
        read_by=[ReceiptOut(user_id=r.reader_id, read_at=r.read_at) for r in receipts or []],
    )


# Open to any signed-in role at the gate: the service answers 404 to everyone who is neither the patient
# nor on the care team (billing admins and admins included), as for every other part of the record.
@endpoint(api_bp, P, access_rule=access.ANY_USER, response=list[MessageOut], errors=[404], tags=TAGS)
def list_messages(patient_id: int) -> list[MessageOut]:
    """The patient's thread with the care team, oldest first, each message with its read receipts.
    Reading marks the reader's unread messages read and is audited."""
    thread = service.thread(current_user, patient_id)
    return [_out(t.message, t.receipts) for t in thread.messages]


@endpoint(
    api_bp,
    P,
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=MessageIn,
    response=SentOut,
    status=201,
    errors=[404],
    tags=TAGS,
)
def send_message(patient_id: int, body: MessageIn) -> SentOut:
    """Write to the thread (the patient or a current team member). A patient's message in crisis words
    answers with ``crisis_resources`` (988, 911) and opens an urgent task for every team member; it is
    delivered all the same. A team member's message is announced to the patient by a text with no content."""
    sent = service.send(current_user, patient_id, body.body)
    out = SentOut(**_out(sent.message).model_dump())
    if sent.crisis:
        out.crisis_resources = CrisisResources.model_validate(crisis.RESOURCES)
    return out
