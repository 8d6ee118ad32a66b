"""``qoldau kb import FILE.jsonl``, ``qoldau kb search "QUERY" --lang kk --limit 10 --json``,
``qoldau kb sync-cards`` and ``qoldau kb flag-changes`` (docs/knowledge.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from qoldau.core.errors import DomainError
from qoldau.knowledge import selectors, services
from qoldau.knowledge.importing import ImportFailed, knowledge_import
from qoldau.knowledge.service_cards import knowledge_sync_service_cards


class Command(BaseCommand):
    help = "Import articles, search the knowledge base, generate service cards, flag changes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            choices=["kk", "ru", "en"],
            default="en",
            help="language of the messages (kk, ru, en)",
        )
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("import", help="import a JSON Lines file (all or nothing)")
        load.add_argument("file", type=Path)
        find = actions.add_parser("search", help="search the published articles")
        find.add_argument("query")
        find.add_argument("--lang", default="kk", help="kk, ru or en (default kk)")
        find.add_argument("--limit", type=int, default=10, help="1 to 50 (default 10)")
        find.add_argument("--json", action="store_true", help="print a JSON list")
        actions.add_parser("sync-cards", help="create or update service cards from the registry")
        actions.add_parser(
            "flag-changes", help="flag articles of by-law changes that have no flag yet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            except ImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(
                        _("line %(line)d, field %(field)s: %(message)s")
                        % {"line": error.line, "field": error.field, "message": error.message}
                    )
                raise CommandError(str(exc.message)) from exc
            except DomainError as exc:
                field = f"{exc.field}: " if exc.field else ""
                raise CommandError(f"{field}{exc.message}") from exc

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": path})
        with path.open("rb") as stream:
            report = knowledge_import(actor=None, stream=stream, source=path.name)
        self.stdout.write(
            _(
                "%(lines)d lines in %(seconds).1f s: %(articles)d new articles, "
                "%(versions)d new language versions, %(revisions)d new revisions, "
                "%(published)d published, %(unchanged)d unchanged."
            )
            % {
                "lines": report.lines,
                "seconds": report.seconds,
                "articles": report.articles_created,
                "versions": report.versions_created,
                "revisions": report.revisions_created,
                "published": report.published,
                "unchanged": report.unchanged,
            }
        )

    def _search(self, options: dict[str, Any]) -> None:
        hits = selectors.knowledge_search_list(
            query=options["query"], language=options["lang"], limit=options["limit"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(hits, ensure_ascii=False))
            return
        for number, hit in enumerate(hits, start=1):
            self.stdout.write(
                f"{number:>2}. {hit['score']:>8.3f}  {hit['language']}  {hit['external_id']}  "
                f"{hit['title']}"
            )

    def _sync_cards(self, options: dict[str, Any]) -> None:
        report = knowledge_sync_service_cards(actor=None)
        self.stdout.write(
            _("%(services)d services: %(created)d new cards, %(revisions)d new draft revisions.")
            % {
                "services": report.services,
                "created": report.articles_created,
                "revisions": report.revisions_created,
            }
        )

    def _flag_changes(self, options: dict[str, Any]) -> None:
        raised = services.knowledge_flag_unreviewed_changes()
        self.stdout.write(_("%(count)d review flags raised.") % {"count": raised})
