"""Counting failed attempts against guessing: the shared counter store and the guard that consults it."""
