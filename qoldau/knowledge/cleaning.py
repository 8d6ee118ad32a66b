"""Checks of editors' and imports' input. Each check names the field and says what to do, in the
reader's language; nothing is written until every field is valid (DESIGN §11)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from qoldau.core.errors import FieldError, ValidationFailed
from qoldau.knowledge.content import sanitise_html
from qoldau.knowledge.enums import ArticleKind, ArticleSource, Language

EXTERNAL_ID_MAX: Final = 100
TITLE_MAX: Final = 300
KEYWORDS_MAX: Final = 40
KEYWORD_MAX: Final = 100
BODY_MAX: Final = 200_000  # characters of HTML as typed; a 1 MB text is refused
COMMENT_MAX: Final = 1000
REFERENCE_MAX: Final = 1000
SYNONYM_TERMS_MAX: Final = 30
SYNONYM_TERM_MAX: Final = 100
LANGUAGES: Final = tuple(Language.values)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def _interpolate(message: StrOrPromise, params: dict[str, Any]) -> str:
    return str(message) % params


def message_with(message: StrOrPromise, **params: Any) -> Promise:
    """A translatable message whose parameters are filled in when it is shown."""
    return cast("Promise", lazy(_interpolate, str)(message, params))


def one_line(value: object) -> str:
    """A single line of text: control characters out, runs of spaces folded."""
    return _SPACES.sub(" ", _CONTROL.sub("", str(value or ""))).strip()


# Messages per language, whole sentences (a language name inside a sentence declines in Kazakh).
TITLE_REQUIRED: Final[dict[str, StrOrPromise]] = {
    "kk": _("Enter the Kazakh title before publishing."),
    "ru": _("Enter the Russian title before publishing."),
    "en": _("Enter the English title before publishing."),
}
BODY_REQUIRED: Final[dict[str, StrOrPromise]] = {
    "kk": _("Write the Kazakh text before publishing."),
    "ru": _("Write the Russian text before publishing."),
    "en": _("Write the English text before publishing."),
}


@dataclass
class Errors:
    """Collects field errors; ``raise_if_any`` raises them together."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, name: str, code: str, message: str | Promise) -> None:
        self.items.append(FieldError(name, code, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


@dataclass(frozen=True)
class TextInput:
    """One language version as typed: keywords as a list or a comma-separated string."""

    title: str = ""
    keywords: tuple[str, ...] = ()
    body: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.title.strip() or self.body.strip() or self.keywords)


@dataclass(frozen=True)
class CleanText:
    title: str
    keywords: tuple[str, ...]
    body: str  # sanitised HTML


def split_keywords(raw: str | Iterable[object]) -> tuple[str, ...]:
    parts = re.split(r"[,;\n]", raw) if isinstance(raw, str) else [str(item) for item in raw]
    seen: dict[str, None] = {}
    for part in parts:
        word = one_line(part)
        if word and word.casefold() not in {key.casefold() for key in seen}:
            seen[word] = None
    return tuple(seen)


def clean_text(language: str, data: TextInput, errors: Errors) -> CleanText:
    suffix = f"_{language}"
    title = one_line(data.title)
    if len(title) > TITLE_MAX:
        errors.add(
            f"title{suffix}",
            "too_long",
            message_with(_("Use at most %(limit)d characters."), limit=TITLE_MAX),
        )
    keywords = split_keywords(data.keywords)
    if len(keywords) > KEYWORDS_MAX:
        errors.add(
            f"keywords{suffix}",
            "too_many",
            message_with(_("Give at most %(limit)d keywords."), limit=KEYWORDS_MAX),
        )
    if any(len(word) > KEYWORD_MAX for word in keywords):
        errors.add(
            f"keywords{suffix}",
            "too_long",
            message_with(_("A keyword has at most %(limit)d characters."), limit=KEYWORD_MAX),
        )
    body = data.body or ""
    if len(body) > BODY_MAX:
        errors.add(
            f"body{suffix}",
            "too_long",
            message_with(
                _("The text is too long: use at most %(limit)d characters."), limit=BODY_MAX
            ),
        )
        body = ""
    return CleanText(title=title, keywords=keywords, body=sanitise_html(body))


def check_publishable(language: str, text: CleanText | None, errors: Errors) -> None:
    """A version is published only with a title and a text."""
    if text is None or not text.title:
        errors.add(f"title_{language}", "required", TITLE_REQUIRED[language])
    if text is None or not text.body.strip():
        errors.add(f"body_{language}", "required", BODY_REQUIRED[language])


def clean_comment(value: object, errors: Errors, name: str = "comment") -> str:
    comment = one_line(value)
    if not comment:
        errors.add(name, "required", _("Say why you make this change."))
    elif len(comment) > COMMENT_MAX:
        errors.add(
            name,
            "too_long",
            message_with(_("Use at most %(limit)d characters."), limit=COMMENT_MAX),
        )
    return comment[:COMMENT_MAX]


def clean_external_id(value: object, errors: Errors) -> str:
    external_id = one_line(value)
    if not external_id:
        errors.add("external_id", "required", _("Give the article an identifier."))
    elif len(external_id) > EXTERNAL_ID_MAX:
        errors.add(
            "external_id",
            "too_long",
            message_with(_("Use at most %(limit)d characters."), limit=EXTERNAL_ID_MAX),
        )
    return external_id


@dataclass(frozen=True)
class ArticleInput:
    """An article's description as typed (the editor's form, the admin)."""

    kind: str
    service_id: int | None = None
    owner_id: int | None = None
    source: str = ArticleSource.CONTACT_CENTER
    source_reference: str = ""
    effective_from: dt.date | None = None
    is_public: bool | None = None  # None: public by default for how-tos and competent bodies
    related_ids: tuple[int, ...] | None = None  # None: leave the links as they are


def clean_article(data: ArticleInput, errors: Errors) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if data.kind not in ArticleKind.values:
        errors.add("kind", "invalid_choice", _("Choose one of the listed kinds."))
    cleaned["kind"] = data.kind
    if data.source not in ArticleSource.values:
        errors.add("source", "invalid_choice", _("Choose one of the listed sources."))
    cleaned["source"] = data.source
    reference = one_line(data.source_reference)
    if len(reference) > REFERENCE_MAX:
        errors.add(
            "source_reference",
            "too_long",
            message_with(_("Use at most %(limit)d characters."), limit=REFERENCE_MAX),
        )
    cleaned["source_reference"] = reference
    cleaned["service_id"] = data.service_id
    cleaned["owner_id"] = data.owner_id
    cleaned["effective_from"] = data.effective_from
    if data.is_public is not None:
        cleaned["is_public"] = bool(data.is_public)
    return cleaned


def clean_synonyms(terms: Iterable[object], errors: Errors) -> list[str]:
    cleaned: list[str] = []
    folded: set[str] = set()
    for raw in terms:
        term = one_line(raw)
        if term and term.casefold() not in folded:
            folded.add(term.casefold())
            cleaned.append(term)
    if len(cleaned) < 2:
        errors.add("terms", "too_few", _("Give at least two words or phrases that mean the same."))
    elif len(cleaned) > SYNONYM_TERMS_MAX:
        errors.add(
            "terms",
            "too_many",
            message_with(_("Give at most %(limit)d terms."), limit=SYNONYM_TERMS_MAX),
        )
    if any(len(term) > SYNONYM_TERM_MAX for term in cleaned):
        errors.add(
            "terms",
            "too_long",
            message_with(_("A term has at most %(limit)d characters."), limit=SYNONYM_TERM_MAX),
        )
    return cleaned


def text_inputs(raw: Mapping[str, TextInput | None]) -> dict[str, TextInput]:
    """Only the known languages, in kk, ru, en order."""
    return {code: value for code in LANGUAGES if (value := raw.get(code)) is not None}
