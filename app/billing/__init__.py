"""Memberships: Stripe Checkout with free trials, webhooks, the membership gate and the billing console.

Billing admins work here and nowhere clinical: nothing in this package reads appointments, plans or
measures beyond "does this patient have a membership".
"""
