"""Billing's entry points: the pages (blueprint ``billing``), the JSON API and Stripe's webhook."""
