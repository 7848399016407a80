"""gunicorn settings, read automatically when gunicorn starts in the project folder.

Served by gunicorn, the app is in production mode unless DEVELOPMENT=1 is set explicitly: then
SECRET_KEY is required and HTTPS settings are on (config/settings.py).
"""
import gc
import multiprocessing
import os

os.environ.setdefault("DEVELOPMENT", "0")

wsgi_app = "config.wsgi"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Requests are short (solves run on Celery workers), so the usual 2 x cores + 1 sync workers.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# POST /api/v1/solve is synchronous; a huge problem is cut off by the solver's own limit.
graceful_timeout = 30
# Load the app once in the master and fork workers from it: a worker recycled by max_requests
# then starts in milliseconds instead of re-importing Django, scipy, pandas and plotly (which
# stalled requests for seconds under load). Django opens no connections at import.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
# Spread the recycling: with a small jitter every worker, started together, reaches its limit
# within the same second and they all restart at once (a stall of 100-300 ms under load,
# docs/benchmarks.md).
max_requests_jitter = max_requests // 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, arbiter_worker) -> None:
    """Move everything the master has loaded out of the garbage collector's sight before a
    fork: a worker's first collections would otherwise touch (and so copy) every page of the
    preloaded app it shares with the master."""
    gc.freeze()
