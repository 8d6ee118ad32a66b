"""The ``qoldau`` console command: Django's management commands plus the product's own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc)
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            sys.exit(
                f"The database is not set up yet ({text.splitlines()[0]}): run `qoldau migrate`."
            )
        raise
