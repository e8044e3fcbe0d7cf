"""Authentication: passwords, server-side login sessions, API tokens, login throttling."""
