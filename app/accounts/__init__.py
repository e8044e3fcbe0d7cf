"""Accounts: users and their roles, patient and clinician profiles."""
