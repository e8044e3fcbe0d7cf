"""Booking: clinician availability, slots, appointments, calendar files, video visits."""
