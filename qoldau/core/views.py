"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qoldau.core import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.database_ok(connection), "queue": health.queue_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "fail",
            **{k: "ok" if v else "fail" for k, v in checks.items()},
        },
        status=200 if healthy else 503,
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS or bool(
        user and user.is_authenticated and user.is_staff
    )
    if not allowed:
        return HttpResponse(status=403)
    health.refresh_gauges(connection)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico; resolved per request so the hashed name is looked up
    only once collectstatic has run."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
