"""The lifecycle of an article's language version (R5): the one table of allowed moves.

Each use case names its action; ``services.py`` checks the table before it writes the status.
Saving always makes a draft (a published version stays visible until the draft is published);
only a version in review can be published, by someone other than its author; importing a file
marked published is the system's own path and publishes at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from qoldau.knowledge.enums import TranslationStatus as S

NEW = ""  # a language version that does not exist yet


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Move] = {
    "save": Move(frozenset({NEW, S.DRAFT, S.IN_REVIEW, S.PUBLISHED, S.ARCHIVED}), S.DRAFT),
    "submit": Move(frozenset({S.DRAFT}), S.IN_REVIEW),
    "approve": Move(frozenset({S.IN_REVIEW}), S.PUBLISHED),
    "return": Move(frozenset({S.IN_REVIEW}), S.DRAFT),
    "archive": Move(frozenset({S.DRAFT, S.IN_REVIEW, S.PUBLISHED}), S.ARCHIVED),
    "import_publish": Move(
        frozenset({NEW, S.DRAFT, S.IN_REVIEW, S.PUBLISHED, S.ARCHIVED}), S.PUBLISHED
    ),
}

# Actions an editor starts from the article editor, in the order its buttons appear.
EDITOR_ACTIONS = ("submit", "approve", "return", "archive")


def translation_can(action: str, status: str) -> bool:
    move = TRANSITIONS.get(action)
    return move is not None and status in move.sources


def translation_target(action: str) -> str:
    return TRANSITIONS[action].target


def translation_actions(status: str) -> list[str]:
    """The editor actions allowed from ``status``."""
    return [action for action in EDITOR_ACTIONS if translation_can(action, status)]
