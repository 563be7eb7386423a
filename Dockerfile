# Production image: gunicorn serves the app, whitenoise the static files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=safeguard.settings

RUN useradd --create-home --uid 1000 safeguard
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .

COPY --chown=safeguard:safeguard . .
# collectstatic needs settings but no real services: give it throwaway values.
RUN DJANGO_ENV=production SECRET_KEY=collectstatic-only-$(date +%s)-not-a-real-key-xxxxxxxxxxxxxxxx \
    ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    CELERY_BROKER_URL=redis://localhost:6379/0 EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput

RUN mkdir -p /app/var/media && chown -R safeguard:safeguard /app/var
USER safeguard
EXPOSE 8000
CMD ["gunicorn", "safeguard.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
