"""``qoldau mail import-eml PATH…``, ``qoldau mail poll [--mailbox NAME]``,
``qoldau mail deliver`` and ``qoldau mail demo`` (docs/mail.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from qoldau.core.errors import DomainError
from qoldau.core.outbox import outbox_deliver_due
from qoldau.mail import importing, selectors, services
from qoldau.mail.demo import load_demo_mailbox
from qoldau.mail.models import Mailbox


class Command(BaseCommand):
    help = "Import raw e-mail files, poll the mailboxes, deliver the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            choices=["kk", "ru", "en"],
            default="en",
            help="language of the messages (kk, ru, en)",
        )
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser(
            "import-eml",
            help="import raw messages from files, folders or Maildirs (idempotent)",
        )
        load.add_argument("paths", nargs="+", type=Path)
        poll = actions.add_parser("poll", help="fetch, process and mark new mail now")
        poll.add_argument("--mailbox", help="only this mailbox (its name)")
        actions.add_parser("deliver", help="send what the outbox holds now")
        actions.add_parser(
            "demo", help="create the demo mailbox (a Maildir under var/mail/inbox) with letters"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc

    def _import_eml(self, options: dict[str, Any]) -> None:
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(_("No such file or folder: %(path)s") % {"path": missing[0]})
        report = importing.mail_import_paths(paths=options["paths"])
        self.stdout.write(
            _(
                "%(new)d new, %(duplicates)d duplicates, %(malformed)d malformed, "
                "%(unreadable)d unreadable, %(failed)d to be processed again."
            )
            % {
                "new": report.new,
                "duplicates": report.duplicates,
                "malformed": report.malformed,
                "unreadable": report.unreadable,
                "failed": report.failed,
            }
        )

    def _poll(self, options: dict[str, Any]) -> None:
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(_("No such mailbox: %(name)s") % {"name": options["mailbox"]})
            reports = [services.mail_poll(mailbox_id=mailbox.pk)]
        else:
            if not selectors.mailbox_list_active():
                self.stdout.write(_("No active mailboxes."))
            reports = services.mail_poll_all()
        for report in reports:
            fetched = report.fetched
            self.stdout.write(
                _(
                    "%(mailbox)s: %(stored)d stored, %(duplicates)d duplicates, "
                    "%(processed)d processed, %(failed)d failed, %(marked)d marked on the server."
                )
                % {
                    "mailbox": report.mailbox,
                    "stored": fetched.stored if fetched else 0,
                    "duplicates": (fetched.duplicates if fetched else 0) + report.duplicates,
                    "processed": report.processed,
                    "failed": report.failed,
                    "marked": report.acknowledged,
                }
            )
            if report.error:
                self.stderr.write(
                    _("%(mailbox)s: %(error)s") % {"mailbox": report.mailbox, "error": report.error}
                )

    def _demo(self, options: dict[str, Any]) -> None:
        mailbox = load_demo_mailbox()
        self.stdout.write(
            _("The demo mailbox %(name)s reads %(path)s.")
            % {"name": mailbox.name, "path": mailbox.maildir_path}
        )

    def _deliver(self, options: dict[str, Any]) -> None:
        report = outbox_deliver_due(limit=1000)
        self.stdout.write(
            _("%(sent)d sent, %(retried)d to be retried, %(failed)d failed.")
            % {"sent": report.sent, "retried": report.retried, "failed": report.failed}
        )
