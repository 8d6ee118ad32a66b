from django.urls import URLPattern, URLResolver, path

from qoldau.appeals import desk, views

app_name = "appeals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.appeal_list_view, name="list"),
    path("new/", views.appeal_new_view, name="new"),
    path("queue/", views.appeal_queue_view, name="queue"),
    path("desk/", desk.desk, name="desk"),
    path("desk/panel/", desk.desk_panel, name="desk_panel"),
    path("desk/presence/", desk.desk_presence, name="desk_presence"),
    path("desk/offer/<int:reservation_id>/", desk.desk_answer, name="desk_answer"),
    path("desk/call/<str:call_id>/transfer/", desk.desk_transfer, name="desk_transfer"),
    path("desk/call/<str:call_id>/end/", desk.desk_hangup, name="desk_hangup"),
    path("desk/call/<str:call_id>/caller/", desk.desk_reveal, name="desk_reveal"),
    path("desk/call/<str:call_id>/appeal/", desk.desk_register, name="desk_register"),
    path("desk/call/<str:call_id>/close/", desk.desk_close, name="desk_close"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/personal-data/", views.appeal_reveal, name="reveal"),
    path("<int:pk>/template/", views.template_text, name="template_text"),
    path("<int:pk>/<slug:action>/", views.appeal_action, name="action"),
]
