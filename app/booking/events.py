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
