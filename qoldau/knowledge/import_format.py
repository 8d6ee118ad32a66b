"""The JSON Lines format of ``qoldau kb import`` (docs/knowledge.md): one article language
version per line, checked line by line. Every error names its line and field in the reader's
language; nothing here touches the database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import DomainError
from qoldau.knowledge import cleaning
from qoldau.knowledge.cleaning import CleanText, Errors, TextInput, message_with
from qoldau.knowledge.enums import ArticleKind

FIELDS: Final = (
    "external_id",
    "kind",
    "language",
    "title",
    "body",
    "keywords",
    "service_code",
    "published",
)
KINDS: Final = frozenset(ArticleKind.values)
MAX_ERRORS: Final = 200
MAX_LINE_BYTES: Final = 2 * 1024 * 1024


_LANGUAGES: Final = frozenset(cleaning.LANGUAGES)


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str | Promise

    def __str__(self) -> str:
        return f"{self.line}: {self.field}: {self.message}"


class ImportFailed(DomainError):
    """The file has errors; nothing was imported."""

    status = 422

    def __init__(self, errors: list[LineError], total: int) -> None:
        super().__init__(
            "import_failed",
            message_with(_("The file has %(count)d errors; nothing was imported."), count=total),
            params={"count": total},
        )
        self.errors = errors
        self.total = total


@dataclass
class ParsedLine:
    number: int
    external_id: str
    kind: str
    language: str
    service_code: str | None
    published: bool
    text: CleanText


@dataclass
class ParsedFile:
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    total_errors: int = 0

    def error(self, line: int, name: str, message: str | Promise) -> None:
        self.total_errors += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(LineError(line, name, message))


def _decoded(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _check_line(number: int, raw: bytes | str, parsed: ParsedFile) -> ParsedLine | None:
    if len(raw) > MAX_LINE_BYTES:
        parsed.error(number, "line", _("The line is too long."))
        return None
    try:
        record = json.loads(_decoded(raw))
    except (UnicodeDecodeError, ValueError):
        parsed.error(number, "line", _("The line is not valid JSON in UTF-8."))
        return None
    if not isinstance(record, dict):
        parsed.error(number, "line", _("Each line must be a JSON object."))
        return None
    errors_before = parsed.total_errors
    for name in FIELDS:
        if name not in record:
            parsed.error(number, name, _("This field is missing."))
    if parsed.total_errors > errors_before:
        return None

    def text_field(name: str, *, required: bool) -> str:
        value = record[name]
        if not isinstance(value, str):
            parsed.error(number, name, _("Give a string."))
            return ""
        if required and not value.strip():
            parsed.error(number, name, _("This field must not be empty."))
        return value

    external_id = cleaning.one_line(text_field("external_id", required=True))
    if len(external_id) > cleaning.EXTERNAL_ID_MAX:
        parsed.error(
            number,
            "external_id",
            message_with(_("Use at most %(limit)d characters."), limit=cleaning.EXTERNAL_ID_MAX),
        )
    kind = record["kind"]
    if kind not in KINDS:
        parsed.error(
            number,
            "kind",
            message_with(
                _("Unknown kind; use one of: %(values)s."), values=", ".join(ArticleKind.values)
            ),
        )
    language = record["language"]
    if language not in _LANGUAGES:
        parsed.error(number, "language", _("Unknown language; use kk, ru or en."))
    title = text_field("title", required=True)
    body = text_field("body", required=False)
    keywords = record["keywords"]
    if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
        parsed.error(number, "keywords", _("Give a list of strings."))
        keywords = []
    service_code = record["service_code"]
    if service_code is not None and (not isinstance(service_code, str) or not service_code.strip()):
        parsed.error(number, "service_code", _("Give a register number or null."))
        service_code = None
    published = record["published"]
    if not isinstance(published, bool):
        parsed.error(number, "published", _("Give true or false."))
    if parsed.total_errors > errors_before:
        return None
    errors = Errors()
    text = cleaning.clean_text(
        str(language), TextInput(title=title, keywords=tuple(keywords), body=body), errors
    )
    for problem in errors.items:
        parsed.error(number, str(problem.field).rsplit("_", 1)[0], problem.message)
    if errors.items:
        return None
    return ParsedLine(
        number=number,
        external_id=external_id,
        kind=str(kind),
        language=str(language),
        service_code=service_code.strip() if service_code else None,
        published=bool(published),
        text=text,
    )


def parse_lines(stream: Iterable[bytes | str]) -> ParsedFile:
    parsed = ParsedFile()
    seen: dict[tuple[str, str], int] = {}
    articles: dict[str, ParsedLine] = {}
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        line = _check_line(number, raw, parsed)
        if line is None:
            continue
        key = (line.external_id, line.language)
        if key in seen:
            parsed.error(
                number,
                "language",
                message_with(
                    _("This article's version in this language is already on line %(line)d."),
                    line=seen[key],
                ),
            )
            continue
        seen[key] = number
        first = articles.setdefault(line.external_id, line)
        if first.kind != line.kind:
            parsed.error(
                number,
                "kind",
                message_with(
                    _("Line %(line)d gives this article another kind."), line=first.number
                ),
            )
        if first.service_code != line.service_code:
            parsed.error(
                number,
                "service_code",
                message_with(
                    _("Line %(line)d gives this article another service."), line=first.number
                ),
            )
        parsed.lines.append(line)
    return parsed
