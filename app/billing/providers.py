"""The payment providers this app ships, registered under the names ``BILLING_BACKEND`` takes.

Called once by ``create_app`` (the composition root). Billing's use cases and webhook handlers only
know the port (``app.billing.backends``); nothing in billing imports this module.
"""

from __future__ import annotations

from app.billing import backends, stripe_provider
from app.billing.demo import provider as demo_provider


def install() -> None:
    backends.register("stripe", stripe_provider.from_settings)
    backends.register("dummy", demo_provider.from_settings)
