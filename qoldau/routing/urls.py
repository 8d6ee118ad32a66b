from django.urls import URLPattern, path

from qoldau.routing import views

app_name = "routing"
urlpatterns: list[URLPattern] = [
    path("operators/", views.operators, name="operators"),
    path("operators/queues/", views.membership, name="membership"),
    path("trainings/", views.trainings, name="trainings"),
    path("trainings/new/", views.training_new, name="training_new"),
]
