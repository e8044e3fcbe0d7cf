"""The care team's pages (the "care" blueprint) and JSON API endpoints."""
