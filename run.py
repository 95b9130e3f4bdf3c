"""Entry point for `flask --app run <command>` and WSGI servers (`gunicorn 'run:create_app()'`)."""

from app import create_app

__all__ = ["create_app"]
