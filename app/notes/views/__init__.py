"""The visit-notes pages and JSON API."""
