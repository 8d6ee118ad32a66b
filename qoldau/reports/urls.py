from django.urls import path

from qoldau.reports import views

app_name = "reports"

urlpatterns = [
    path("wallboard/", views.wallboard, name="wallboard"),
    path("wallboard/live/", views.wallboard_live, name="wallboard_live"),
    path("quality/", views.quality, name="quality"),
]
