"""What booking tells the domains above it (the care team) without knowing them.

Each signal is sent inside the booking use case's transaction, before its one commit: whatever a
receiver writes is committed with the visit, or rolled back with it. Receivers are connected by the
composition root (``create_app``); a receiver that raises fails the use case.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Appointment just booked (flushed: it has its id); keyword ``now``.
visit_booked = _signals.signal("visit-booked")
# sender: the Appointment its clinician has just marked a no-show; keyword ``now``.
visit_missed = _signals.signal("visit-missed")

# sender: the Appointment just moved to another clinician (flushed) because its clinician left;
# keywords ``now`` and ``from_clinician_id``.
visit_reassigned = _signals.signal("visit-reassigned")
# sender: the id of a clinician who was just disabled (offboarding; every future visit already moved
# or cancelled); keywords ``now`` and ``actor`` (the admin).
clinician_offboarded = _signals.signal("clinician-offboarded")

# A question, not an event: sender: a tuple of appointment ids; each receiver returns a dict
# {appointment_id: note status} for the visits that have a note (the notes domain answers). Booking
# shows "Start note" or "Open note" without knowing the notes domain; nobody connected = no notes.
notes_asked = _signals.signal("visit-notes-asked")


def note_statuses(appointment_ids: tuple[int, ...]) -> dict[int, str]:
    """The note status of each of these visits that has a note, as the connected receivers tell it."""
    found: dict[int, str] = {}
    if appointment_ids:
        for _receiver, answer in notes_asked.send(appointment_ids):
            found.update(answer or {})
    return found
