"""The care team's window on secure messaging. Messaging sits above the care team (it uses the team,
its access rule and its safety tasks), so the care team does not import it: the caseload's unread
counts and the FHIR export's ``Communication`` resources read the thread through what is declared
here, and messaging plugs its readers in at start-up (``app.messaging.for_care_team.connect``, called
from ``create_app``). With nothing plugged in, there are no messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MessageEntry:
    """One message as the FHIR export shows it."""

    id: int
    sender_id: int | None
    body: str
    sent_at: datetime
    crisis: bool
    read_by: tuple[tuple[int, datetime], ...]  # (reader id, read at), first read first


UnreadCounter = Callable[[int, Iterable[int]], dict[int, int]]
ThreadReader = Callable[[int], list[MessageEntry]]
_unread: UnreadCounter = lambda _viewer_id, _patient_ids: {}  # noqa: E731 - nothing plugged in: none unread
_thread: ThreadReader = lambda _patient_id: []  # noqa: E731 - nothing plugged in: no messages


def provide(unread_counts: UnreadCounter, thread: ThreadReader) -> None:
    global _unread, _thread
    _unread, _thread = unread_counts, thread


def unread_counts(viewer_id: int, patient_ids: Iterable[int]) -> dict[int, int]:
    """Messages the viewer has not read, per patient (one query; counts only, nothing to audit)."""
    return _unread(viewer_id, patient_ids)


def thread(patient_id: int) -> list[MessageEntry]:
    """The patient's whole thread, oldest first, with who read each message (the caller audits)."""
    return _thread(patient_id)
