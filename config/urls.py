from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api
from qoldau.core import views as core_views

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("i18n/", include("qoldau.accounts.language_urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("registry/", include("qoldau.registry.urls")),
    path("", include("qoldau.web.urls")),
    prefix_default_language=True,
)
