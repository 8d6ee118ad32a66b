"""Typo candidates from an index's vocabulary: a symmetric-delete index checked with rapidfuzz.

Each vocabulary term is stored under itself and under every string one deletion away from it;
a query word looks up itself, its one-deletion strings and, when long, its two-deletion strings.
Every term within edit distance 1 (2 for long words) that shares such a string is found in a
few dictionary look-ups, then verified with the optimal-string-alignment distance (a swap of two
neighbouring letters counts as one edit). No scan over the vocabulary, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from rapidfuzz.distance import OSA

MIN_LENGTH: Final = 4  # shorter words: a typo turns them into other real words
LONG_WORD: Final = 8  # from this length on, two edits are tolerated


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def max_distance(word: str) -> int:
    """Edits tolerated for a word of this length (0: too short for typo matching)."""
    if len(word) < MIN_LENGTH:
        return 0
    return 2 if len(word) >= LONG_WORD else 1


class DeleteIndex:
    """Vocabulary terms by their one-deletion strings. Terms are only added, never removed:
    the caller checks that a candidate still has documents."""

    __slots__ = ("_by_delete", "_terms")

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self._by_delete: dict[str, list[str]] = {}
        self._terms: set[str] = set()
        for term in terms:
            self.add(term)

    def add(self, term: str) -> None:
        if term in self._terms or len(term) < MIN_LENGTH - 1 or not term.isalpha():
            return
        self._terms.add(term)
        by_delete = self._by_delete
        for key in (term, *_deletes(term)):
            bucket = by_delete.get(key)
            if bucket is None:
                by_delete[key] = [term]
            else:
                bucket.append(term)

    def candidates(self, word: str) -> list[tuple[str, int]]:
        """Vocabulary terms within the tolerated distance of ``word`` (not ``word`` itself)."""
        limit = max_distance(word)
        if not limit or not word.isalpha():
            return []
        keys = {word} | _deletes(word)
        if limit == 2:
            for key in list(keys):
                if len(key) == len(word) - 1:
                    keys |= _deletes(key)
        seen: set[str] = set()
        found: list[tuple[str, int]] = []
        by_delete = self._by_delete
        for key in keys:
            for term in by_delete.get(key, ()):
                if term in seen or term == word:
                    continue
                seen.add(term)
                distance = OSA.distance(word, term, score_cutoff=limit)
                if distance <= limit:
                    found.append((term, distance))
        return found
