"""Notifications' views: the outbox and text-settings pages (``pages``) and Twilio's callbacks (``webhooks``)."""
