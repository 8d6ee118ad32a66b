from django.urls import path

from qoldau.web import views

app_name = "web"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("home/", views.HomeView.as_view(), name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
]
