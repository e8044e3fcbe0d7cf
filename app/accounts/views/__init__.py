"""Accounts' pages (onboarding) and JSON API (sign-up, staff accounts, the caller's profile)."""
