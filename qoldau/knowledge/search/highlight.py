"""Which words of a text to mark for a hit (R6): the caller escapes and wraps them in <mark>."""

from __future__ import annotations

from collections.abc import Collection

from qoldau.knowledge.search import analyzer


def highlight(text: str, matched_terms: Collection[str], language: str) -> list[tuple[str, bool]]:
    """The text cut into segments, True for each word whose analysed form is in matched_terms.

    Joining the segments gives the text back unchanged. A word matches through its stem or its
    exact folded form, so every form of a matched word is marked ("құжаттарды" for "құжат").
    """
    if not text:
        return []
    wanted = frozenset(matched_terms)
    segments: list[tuple[str, bool]] = []
    plain_from = 0
    if wanted:
        for match in analyzer.WORD.finditer(text):
            found = analyzer.word_terms(analyzer.normalise(match.group()), language)
            if found is None or (found[0] not in wanted and found[1] not in wanted):
                continue
            if match.start() > plain_from:
                segments.append((text[plain_from : match.start()], False))
            segments.append((match.group(), True))
            plain_from = match.end()
    if plain_from < len(text):
        segments.append((text[plain_from:], False))
    return segments
