"""The ``dummy`` payment provider of the demo: a stand-in for Stripe's side (``store``), the provider
behind the port (``provider``) and what Stripe would do over time (``simulate``), which hands its
events to the same webhook handlers real Stripe events reach. Used only with ``BILLING_BACKEND=dummy``."""
