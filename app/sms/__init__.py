"""Text messages as infrastructure: the outbox, its sender, the SMS backends and the wording kit."""
