"""Text messages: a transactional outbox, the Twilio/console backends, inbound keywords, delivery status."""
