import os
import sys

from django.core.wsgi import get_wsgi_application

# How long a thread may keep the GIL while another wants it (Python's default is 5 ms): the
# intake's group committer waits for PostgreSQL a few times per batch and should get the GIL
# back soon after (ADR 0007). gunicorn sets it after fork (config/gunicorn_conf.py); granian
# has no such hook, so it is set here, in each worker, when the application loads.
sys.setswitchinterval(float(os.environ.get("QOLDAU_WEB_SWITCH_INTERVAL", "0.001")))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.warmup import warm_up_in_background  # noqa: E402  (needs the app registry)

warm_up_in_background()
