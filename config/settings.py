"""Settings for rack-planner, read from the environment only.

Zero-setup defaults: SQLite in the project folder and Celery tasks run eagerly in-process.
Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/rack_planner) and REDIS_URL
(e.g. redis://127.0.0.1:6379/0) to use PostgreSQL and a real Celery worker.
"""
import os
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development or production. The rule: DEVELOPMENT=1 is a developer's machine (a built-in
# secret key is allowed); DEVELOPMENT=0 is production (SECRET_KEY must be set). Unset, it is
# development for `manage.py`, pytest and the Makefile (zero setup), and production under
# gunicorn (gunicorn.conf.py) and in the Docker image, which both default to DEVELOPMENT=0 --
# so a deployment cannot run on the development key by forgetting a variable.
DEVELOPMENT = env_bool("DEVELOPMENT", True)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (DEVELOPMENT=0); "
            "set DEVELOPMENT=1 on a developer's machine"
        )
    SECRET_KEY = "dev-insecure-rack-planner-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS. In production the app is assumed to sit behind a TLS-terminating proxy (HTTPS=1, the
# production default): cookies are secure, plain HTTP is redirected and HSTS is sent. The proxy
# tells Django the original scheme in X-Forwarded-Proto; trust that header only when the proxy
# always sets it (USE_X_FORWARDED_PROTO=1), or a client could claim HTTPS.
HTTPS = env_bool("HTTPS", not DEVELOPMENT)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Bodies above this are refused with 413 before a view parses them (problems are small JSON;
# config/middleware.py); catalog uploads may be as large as CATALOG_IMPORT_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 2**20)))
# POST /api/v1/solve answers synchronously: its solves stop well before gunicorn's timeout.
SYNC_SOLVE_TIME_LIMIT_S = float(os.environ.get("SYNC_SOLVE_TIME_LIMIT_S", "20"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "inventory",
    "planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # ETag (a digest of the body unless the view set one) and 304 for GETs whose client has
    # the current answer; catalog reads answer 304 before any query (inventory/catalog_cache.py).
    "django.middleware.http.ConditionalGetMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "config.json_answers.JSONAnswersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the session's user kept in the shared cache (config/read_cache.py).
    "config.read_cache.CachedAuthenticationMiddleware",
    # Kept API reads are answered here, once the session and its user are known and before
    # URL resolution, DRF and the database (config/read_cache.py). The middlewares below it
    # only add headers to a JSON read (frame options, CSP), which are kept with the answer.
    "config.read_cache.ReadCacheMiddleware",
    # Change history records the request's user (pages, admin, and the API: DRF hands the user
    # it authenticates, token or session, to the underlying request).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login attempts (the login page, the admin) are throttled by django-axes: after
# AXES_FAILURE_LIMIT failures for one username, or from one address, that username / address
# is locked out for AXES_COOLOFF_MINUTES (a 429 page). A successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks, separately
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# Behind the TLS proxy (USE_X_FORWARDED_PROTO=1) every request comes from the proxy: the
# caller's address is the one the proxy adds to X-Forwarded-For (the last entry, which a
# client cannot forge), else all callers would share one lockout.
if env_bool("USE_X_FORWARDED_PROTO", False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Content-Security-Policy (django-csp): scripts only from this site, never inline (the pages'
# figures are JSON data blocks drawn by static/js/figures.js). Styles allow 'unsafe-inline':
# Plotly writes its own <style> elements and inline style attributes at run time, and the
# rack drawings size their slots with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js comes from the installed plotly package, so the browser gets exactly the version
# the Python side builds figures for, and never from a CDN. The package is found, not imported:
# importing plotly costs every command and worker a tenth of a second it never needs.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", Path(find_spec("plotly").origin).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files through whitenoise from the finders when nothing was collected (make run).
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Anyone may sign up at /accounts/signup/ unless SIGNUP_OPEN=0 (then accounts come from the admin
# or `manage.py ensureadmin`).
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)

# E-mail (password reset): printed to the console in development, sent by SMTP in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEVELOPMENT
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rack-planner <noreply@localhost>")

# Celery: eager in-process without a broker, a real worker with REDIS_URL.
# The database is the source of truth for runs, not the broker: tasks carry run ids, are
# acknowledged after they finish (a message whose worker died is delivered again) and are
# idempotent; `requeue_stale_runs` (Celery beat) re-sends runs the broker lost.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Solves are CPU-bound and long: a worker process takes one task at a time, and the pool has
# one process per core (override with CELERY_WORKER_CONCURRENCY or --concurrency).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY", "0")) or os.cpu_count()
# Recycle pool processes now and then: HiGHS and numpy keep memory they once needed.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_TASKS_PER_CHILD", "200"))
CELERY_WORKER_SEND_TASK_EVENTS = False
# Celery's Django fix-up closes the database connection before and after every task unless
# this is set: a new PostgreSQL connection (a forked backend) for each message. Kept for up to
# this many tasks instead, and dropped as Django drops a request's (CONN_MAX_AGE, or unusable
# after an error, or not answering: config/celery.py).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "100"))
# Per-task limits. solve_run gives the solver a budget below the soft limit, so a solve that
# wants longer ends `feasible` with its best layout; the soft limit stops Python code that
# overruns, the hard limit kills a process stuck in C code.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("SOLVE_SOFT_TIME_LIMIT_S", "600"))
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 30
# A message taken by a worker that vanished (kill -9, host lost) goes back to the queue after
# the visibility timeout; it must exceed the hard time limit, or a live solve gets a twin.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": float(
        os.environ.get("CELERY_VISIBILITY_TIMEOUT_S", str(CELERY_TASK_TIME_LIMIT + 60))
    ),
    # How often a worker looks for such messages (kombu's default is every ~100 s).
    "unacked_restore_interval": float(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL_S", "10")),
    "unacked_restore_throttle": 1,
}
# A worker waits for a restarted Redis, at startup and after losing it, however long it takes.
# (Celery 5.7.0 breaks this at --concurrency >= 2: the pin in pyproject.toml says why.)
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A solve under way when Redis goes away keeps going and writes its result to the database
# (the source of truth); cancelling it would throw the work away. A twin delivery of its
# message is harmless: solve_run is idempotent (planner/tasks.py).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# The periodic check for runs the broker lost or whose worker vanished (planner/runs/recovery.py).
RUN_CHECK_INTERVAL_S = float(os.environ.get("RUN_CHECK_INTERVAL_S", "60"))
RUN_QUEUED_LIMIT_S = float(os.environ.get("RUN_QUEUED_LIMIT_S", "3600"))
RUN_UNSENT_LIMIT_S = float(os.environ.get("RUN_UNSENT_LIMIT_S", "60"))
RUN_RUNNING_LIMIT_S = float(
    os.environ.get("RUN_RUNNING_LIMIT_S", str(CELERY_TASK_TIME_LIMIT + 120))
)
RUN_MAX_ATTEMPTS = int(os.environ.get("RUN_MAX_ATTEMPTS", "3"))
# Task modules besides each app's tasks.py that a worker loads.
CELERY_IMPORTS = ("planner.runs.recovery", "planner.retention")
# The admin shows each row's history; restoring a version goes through the pages and the API
# (planner/history.py: validated against the catalog, recorded as a new version), not the
# admin's revert.
SIMPLE_HISTORY_REVERT_DISABLED = True
# A deleted scenario can be restored by its owner for this many days, then it is purged with
# its runs and history (planner/retention.py; beat runs the purge every SCENARIO_PURGE_INTERVAL_S).
SCENARIO_RETENTION_DAYS = float(os.environ.get("SCENARIO_RETENTION_DAYS", "30"))
SCENARIO_PURGE_INTERVAL_S = float(os.environ.get("SCENARIO_PURGE_INTERVAL_S", "3600"))
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-runs": {
        "task": "planner.runs.recovery.requeue_stale_runs_task",
        "schedule": RUN_CHECK_INTERVAL_S,
    },
    "purge-deleted-scenarios": {
        "task": "planner.retention.purge_deleted_scenarios_task",
        "schedule": SCENARIO_PURGE_INTERVAL_S,
    },
}

# Grid carbon intensity for the capacity figures' CO2 (g CO2 per kWh). Default: the world
# average of 2022, 436 g CO2/kWh (Ember, Global Electricity Review 2023); set your own grid's.
GRID_CO2_G_PER_KWH = float(os.environ.get("GRID_CO2_G_PER_KWH", "436"))

# Uploaded files above this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Largest catalog file POST /api/v1/import/catalog accepts, bytes.
CATALOG_IMPORT_MAX_BYTES = int(os.environ.get("CATALOG_IMPORT_MAX_BYTES", 5_242_880))

# Problem size limits the API enforces before anything is queued (planner/solver/limits.py).
PROBLEM_LIMITS = {
    "rack_types": int(os.environ.get("PROBLEM_MAX_RACK_TYPES", 50)),
    "racks": int(os.environ.get("PROBLEM_MAX_RACKS", 20000)),
    "servers": int(os.environ.get("PROBLEM_MAX_SERVERS", 200)),
    "models": int(os.environ.get("PROBLEM_MAX_MODELS", 50)),
}

# Throttle counters live in the default cache: per process unless CACHE_REDIS_URL shares them
# between the web workers.
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
LOCAL_CACHE = {"BACKEND": "config.local_cache.LocalCache"}  # LocMemCache, keys unchecked
CACHES = {
    "default": {"BACKEND": "config.redis_cache.ReusingRedisCache",
                "LOCATION": CACHE_REDIS_URL} if CACHE_REDIS_URL else LOCAL_CACHE,
}
# Catalog answers are cached under a catalog version (inventory/catalog_cache.py). The version
# must be one number for every web process, so the cache is Redis (CACHE_REDIS_URL, else the
# broker's REDIS_URL, under its own key prefix); caching is on only then (or with
# CATALOG_CACHE=1, for a single process such as runserver or the tests).
SHARED_CACHE_URL = CACHE_REDIS_URL or REDIS_URL
CATALOG_CACHE_ALIAS = "catalog"
CACHES[CATALOG_CACHE_ALIAS] = (
    {"BACKEND": "config.redis_cache.ReusingRedisCache", "LOCATION": SHARED_CACHE_URL,
     "KEY_PREFIX": "rack-planner"}
    if SHARED_CACHE_URL
    else {**LOCAL_CACHE, "LOCATION": "catalog"}
)
CATALOG_CACHE = env_bool("CATALOG_CACHE", bool(SHARED_CACHE_URL))
# A bump lost to a cache outage leaves an old answer at most this long.
CATALOG_CACHE_TIMEOUT_S = int(os.environ.get("CATALOG_CACHE_TIMEOUT_S", "300"))
# Rendered API reads (catalog, scenario, run) answered before DRF from the shared cache, each
# kept under the generation of the rows behind it (config/read_cache.py). On with a shared
# cache only: a per-process cache would miss other processes' writes.
READ_CACHE = env_bool("READ_CACHE", bool(SHARED_CACHE_URL))
READ_CACHE_ALIAS = CATALOG_CACHE_ALIAS
READ_CACHE_TIMEOUT_S = int(os.environ.get("READ_CACHE_TIMEOUT_S", "60"))
# A user or token changed without a model signal (raw SQL, a queryset update) is seen after this.
READ_CACHE_AUTH_TIMEOUT_S = int(os.environ.get("READ_CACHE_AUTH_TIMEOUT_S", "60"))
READ_CACHE_ROUTES = [
    (r"^/api/v1/(accelerators|server-models|rack-types|model-classes|performance-profiles)"
     r"(/[0-9]{1,18})?/?$", "catalog:version"),  # inventory/catalog_cache.py's version
    (r"^/api/v1/(scenarios|runs)/[0-9]{1,18}/?$", "read:gen:planner"),
]
# Sessions: in the shared cache, written through to the database (Django's cached_db), so a
# signed-in read costs no query; the database alone without a shared cache.
if SHARED_CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = CATALOG_CACHE_ALIAS

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON that cannot take the server down (config/parsers.py); forms for the browsable API.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: unauthenticated calls get 401 with `WWW-Authenticate: Token`.
        # DRF's, with the token's user kept in the shared cache (config/read_cache.py).
        "config.read_cache.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        # Numeric filters are range-checked before the database (config/filters.py).
        "config.filters.RangeCheckedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonThrottle",
        "config.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("THROTTLE_USER", "1200/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "rack-planner API",
    "DESCRIPTION": "Catalog, scenarios and solver runs for LLM inference rack planning.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["config.schema.canonical_paths"],
    # Every operation lists every status it can answer (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_every_answer",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs its start-up banner at INFO in every process (manage.py commands
    # included); its lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
