"""E-mail: a tiny port with a console backend (demo, development) and SMTP (production)."""
