"""Auth's pages and JSON API."""
