import gc
import os
import sys

from django.core.wsgi import get_wsgi_application

# How long a thread may keep the GIL while another wants it (Python's default is 5 ms): the
# intake's group committer waits for PostgreSQL a few times per batch and should get the GIL
# back soon after (ADR 0007). gunicorn sets it after fork (config/gunicorn_conf.py); granian
# has no such hook, so it is set here, in each worker, when the application loads.
sys.setswitchinterval(float(os.environ.get("QOLDAU_WEB_SWITCH_INTERVAL", "0.001")))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from qoldau.appeals.api_lean import LeanIntakeApp  # noqa: E402  (needs the app registry)

# API-key intakes are answered before Django's handler (ADR 0011); everything else goes to it.
application = LeanIntakeApp(django_application)

from config.warmup import warm_up_in_background  # noqa: E402  (needs the app registry)

warm_up_in_background()

# What start-up built (Django, the URLconf, the catalogues) lives as long as the process: keep
# it out of the cyclic collector's full passes, which otherwise walk all of it and stop every
# thread for ~90 ms under the API intake's load (ADR 0011). The warm-up freezes what it adds.
gc.freeze()
