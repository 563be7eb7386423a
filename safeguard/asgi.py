"""ASGI entry point, for servers that speak ASGI (the deployment uses gunicorn's WSGI)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")

application = get_asgi_application()
