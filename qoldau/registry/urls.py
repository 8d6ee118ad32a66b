from django.urls import URLPattern, URLResolver, path

from qoldau.registry import views

app_name = "registry"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.service_list),
    path("services/", views.service_list, name="service_list"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("import/", views.import_view, name="import"),
    path("export/", views.export_view, name="export"),
]
