"""Forms of the web shell, with labels and messages in our own catalogue (Django's Kazakh
catalogue lacks some of them, and a Kazakh page must not show English)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter your username.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Enter your password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. Both are case-sensitive; check them "
            "and try again."
        ),
        "inactive": _("This account is blocked. Ask the contact center's administrator."),
    }
