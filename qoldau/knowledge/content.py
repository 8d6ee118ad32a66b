"""Article text: sanitised HTML (``nh3`` with an allow-list), its plain text for the search and
the copy button, and a readable diff between two versions. Pure functions."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Final

import nh3

# Simple rich text: paragraphs, lists, emphasis, links, headings, tables. No scripts, styles,
# event handlers, forms, frames or images (an image could track the reader).
ALLOWED_TAGS: Final = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "small", "sub", "sup", "mark",
        "ul", "ol", "li", "dl", "dt", "dd",
        "h2", "h3", "h4", "blockquote", "code", "pre", "hr",
        "a", "abbr",
        "table", "caption", "thead", "tbody", "tr", "th", "td",
        "section",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
# The section the service-card generator writes (services.knowledge_sync_service_cards).
GENERATED_CLASS: Final = "kb-generated"
ALLOWED_CLASSES: Final = {"section": {GENERATED_CLASS}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto", "tel"})

_BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|li|h2|h3|h4|dt|dd|tr|blockquote|pre|section|table|caption)>|<hr\s*/?>",
    re.IGNORECASE,
)
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_GENERATED = re.compile(
    r'<section class="' + GENERATED_CLASS + r'">.*?</section>\s*', re.DOTALL | re.IGNORECASE
)


# Built once: nh3 parses the configuration on construction, not on every text.
_CLEANER: Final = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
    strip_comments=True,
)


def sanitise_html(raw: str) -> str:
    """The allowed subset of ``raw``: scripts, styles and event handlers removed, links limited
    to http(s), mailto and tel and opened without a referrer."""
    if not raw:
        return ""
    return _CLEANER.clean(raw).strip()


def html_to_text(value: str) -> str:
    """The plain text of sanitised HTML: one line per block, entities decoded."""
    if not value:
        return ""
    text = _CELL_END.sub("\t", value)
    text = _BLOCK_END.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def generated_section(body: str) -> str | None:
    found = _GENERATED.search(body or "")
    return found.group(0).strip() if found else None


def replace_generated_section(body: str, section: str) -> str:
    """``body`` with its generated section replaced by ``section`` (or added at the end, after
    what editors wrote: operators read the answer first, the registry's facts below it)."""
    body = body or ""
    if _GENERATED.search(body):
        return _GENERATED.sub(lambda _match: section + "\n", body, count=1).strip()
    return f"{body}\n{section}".strip()


def with_generated_section(body: str, section: str | None) -> str:
    """``body`` carrying ``section`` as its generated section, sanitised (a stable result: the
    service-card sync and the import must produce the same text for the same input)."""
    if not section:
        return body
    return sanitise_html(replace_generated_section(body, section))


# --- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: ``kind`` is equal, changed, added or removed."""

    kind: str
    old_number: int | None
    old: tuple[Segment, ...]
    new_number: int | None
    new: tuple[Segment, ...]


_WORDS = re.compile(r"\s+|[^\s]+")


def _word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    old_words = _WORDS.findall(old)
    new_words = _WORDS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(old_words[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(new_words[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def diff_lines(old_text: str, new_text: str) -> list[DiffRow]:
    """A side-by-side diff of two plain texts, line by line, with changed words marked."""
    old_lines = old_text.splitlines()
    new_lines = new_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                line = old_lines[i1 + offset]
                rows.append(
                    DiffRow(
                        "equal",
                        i1 + offset + 1,
                        (Segment(line, False),),
                        j1 + offset + 1,
                        (Segment(line, False),),
                    )
                )
            continue
        pairs = max(i2 - i1, j2 - j1)
        for offset in range(pairs):
            old_index = i1 + offset if i1 + offset < i2 else None
            new_index = j1 + offset if j1 + offset < j2 else None
            if old_index is not None and new_index is not None:
                left, right = _word_diff(old_lines[old_index], new_lines[new_index])
                rows.append(DiffRow("changed", old_index + 1, left, new_index + 1, right))
            elif old_index is not None:
                segment = (Segment(old_lines[old_index], True),)
                rows.append(DiffRow("removed", old_index + 1, segment, None, ()))
            elif new_index is not None:
                segment = (Segment(new_lines[new_index], True),)
                rows.append(DiffRow("added", None, (), new_index + 1, segment))
    return rows


def diff_is_empty(rows: list[DiffRow]) -> bool:
    return all(row.kind == "equal" for row in rows)
