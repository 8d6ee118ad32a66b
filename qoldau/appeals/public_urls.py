from django.urls import URLPattern, URLResolver, path

from qoldau.appeals import public_views

app_name = "public_appeals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("new/", public_views.public_new, name="new"),
    path("status/", public_views.public_status, name="status"),
    path("rate/<str:token>/", public_views.public_rate, name="rate"),
]
