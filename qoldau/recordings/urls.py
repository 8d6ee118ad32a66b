from django.urls import URLPattern, URLResolver, path

from qoldau.recordings import views

app_name = "recordings"
urlpatterns: list[URLPattern | URLResolver] = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/document/", views.request_document, name="request_document"),
    path("requests/<int:pk>/deliver/", views.request_deliver, name="request_deliver"),
    path("requests/<int:pk>/none-found/", views.request_none, name="request_none"),
    path("requests/<int:pk>/download/", views.delivery_zip, name="delivery_zip"),
    path("requests/<int:pk>/download/<int:file_id>/", views.delivery_file, name="delivery_file"),
    path("queue/", views.queue, name="queue"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("<int:pk>/audio/", views.audio, name="audio"),
]
