"""Benchmarks (`make bench`): figures are measured here, never asserted in tests."""
