"""Strings whose translation in Django's own Kazakh catalogue is wrong. The project catalogue
(LOCALE_PATHS) is looked up first, so listing them here keeps our translation in force."""

from django.utils.translation import gettext_noop

OVERRIDDEN = (gettext_noop("Change"),)  # Django's kk admin catalogue says "Өзгетру"
