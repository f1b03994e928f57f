"""gunicorn's settings, read from the working directory: `gunicorn qa_site.wsgi` (docs/deploy.md).

Values come from the environment through the same helpers as Django's settings, so a typo stops start-up naming
the variable. Our request log (qa_site.requests) replaces gunicorn's access log.
"""

from qa_site.observability import JSON_FORMATTER, LOG_FORMATS, LOG_LEVELS
from qa_site.settings.env import env_choice, env_int, env_str

bind = f"0.0.0.0:{env_int('PORT', 8000, minimum=1)}"  # every interface, on $PORT (default 8000)
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)  # processes; about 2 per core on a machine of its own
threads = env_int("WEB_THREADS", 1, minimum=1)  # threads per process; above 1, gunicorn uses its gthread worker
timeout = 30  # seconds a worker may spend on one request before it is killed and replaced
graceful_timeout = 20  # seconds a worker has to finish its requests after a restart or shutdown signal
keepalive = 5  # seconds an idle connection from the proxy is kept open
# A worker is replaced after this many requests, so slow leaks never build up (0: never). A new worker loads the
# application afresh (about 2 s of CPU), and pages from the cache are served at thousands a second: a low number
# would spend the machine on restarts.
max_requests = env_int("WEB_MAX_REQUESTS", 100_000, minimum=0)
max_requests_jitter = max_requests // 10  # … give or take up to a tenth, so workers are not all replaced at once
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")  # proxies whose X-Forwarded-* headers we trust
accesslog = None  # off: qa_site.requests logs each request once, with its request id and user id
errorlog = "-"  # gunicorn's own messages (start, worker restarts, timeouts) on stderr
loglevel = env_choice("LOG_LEVEL", "INFO", choices=LOG_LEVELS).lower()

if env_choice("LOG_FORMAT", "json", choices=LOG_FORMATS) == "json":
    # gunicorn's messages as JSON objects too, like the site's; its access log stays silent.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {**JSON_FORMATTER}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
