"""Booking's views: its page blueprint (``pages``, with ``availability_pages`` attached) and its JSON API (``api``)."""
