# One image for every role: web (gunicorn), worker (celery worker), beat (celery beat) and the
# one-off migrate job; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    # Production unless told otherwise: SECRET_KEY is required (config/settings.py).
    DEVELOPMENT=0 \
    STATIC_MANIFEST=1
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY config ./config
COPY inventory ./inventory
COPY planner ./planner
COPY bench ./bench
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs a key to import the settings; this one is never used at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app app \
    && chown -R app /app
USER app
EXPOSE 8000
# gunicorn.conf.py (bind 0.0.0.0:8000, workers 2 x cores + 1) is read from /app.
CMD ["gunicorn"]
