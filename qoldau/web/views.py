"""Pages of the web shell: the public landing page, sign-in and sign-out, each role's home."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.views.generic import TemplateView

from qoldau.web.forms import SignInForm


def _is_sign_in_page(url: str) -> bool:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return match.view_name == "web:login"


class LandingView(TemplateView):
    """What the 1414 contact center does and how to reach it, in the visitor's language."""

    template_name = "web/landing.html"


class HomeView(LoginRequiredMixin, TemplateView):
    """A section per role the person holds; the sections come from the navigation table."""

    template_name = "web/home.html"


class SignInView(auth_views.LoginView):
    """Django's sign-in, then the person's own language: cookie and URL (R34)."""

    template_name = "web/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def _user_language(self) -> str:
        language = str(getattr(self.request.user, "language", "") or settings.LANGUAGE_CODE)
        codes = {code for code, _name in settings.LANGUAGES}
        return language if language in codes else settings.LANGUAGE_CODE

    def get_success_url(self) -> str:
        language = self._user_language()
        # A page the person was sent from opens again, in their language (/kk/x/ → /ru/x/).
        next_url = self.get_redirect_url()
        if next_url and not _is_sign_in_page(next_url):
            return translate_url(next_url, language)
        with translation.override(language):
            return reverse("web:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            self._user_language(),
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView); back to the landing page in the page's language."""
