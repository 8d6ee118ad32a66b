from django.urls import URLPattern, URLResolver, path

from qoldau.appeals import views

app_name = "appeals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.appeal_list_view, name="list"),
    path("new/", views.appeal_new_view, name="new"),
    path("queue/", views.appeal_queue_view, name="queue"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/personal-data/", views.appeal_reveal, name="reveal"),
    path("<int:pk>/template/", views.template_text, name="template_text"),
    path("<int:pk>/<slug:action>/", views.appeal_action, name="action"),
]
