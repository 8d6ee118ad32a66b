from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from config.api import api
from qoldau.core import views as core_views

urlpatterns = [
    path("favicon.ico", core_views.favicon),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("i18n/", include("qoldau.accounts.language_urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("registry/", include("qoldau.registry.urls")),
    path("knowledge/", include("qoldau.knowledge.urls")),
    path("faq/", include("qoldau.knowledge.faq_urls")),
    path("appeals/", include("qoldau.appeals.urls")),
    path("appeal/", include("qoldau.appeals.public_urls")),
    path("routing/", include("qoldau.routing.urls")),
    path("reports/", include("qoldau.reports.urls")),
    path("recordings/", include("qoldau.recordings.urls")),
    path("", include("qoldau.web.urls")),
    prefix_default_language=True,
)
