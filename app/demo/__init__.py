"""The demo clinic for `make run` (``flask --app wsgi demo seed``)."""
