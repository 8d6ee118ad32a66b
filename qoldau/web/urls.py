from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

app_name = "web"
urlpatterns = [
    path("", TemplateView.as_view(template_name="web/base.html"), name="landing"),
    path("home/", TemplateView.as_view(template_name="web/base.html"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
