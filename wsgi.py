"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

from app import create_app
from app.runtime import freeze_startup_objects

app = create_app()
freeze_startup_objects()
