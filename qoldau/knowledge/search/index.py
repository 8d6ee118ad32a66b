"""The in-memory search index of the knowledge base (R6); ADR 0004 says why it is our own.

Layout: one *shard* per language, each with its own document numbers. Every shard keeps two
inverted indexes — the *stem* layer (stems and synonym groups: a word in any of its forms) and
the *exact* layer (folded surface forms: the same form as typed) — whose posting lists are
appendable ``array.array`` pairs (document number, BM25F weight) that numpy reads in place, so an
edit costs only its own postings and a search does its arithmetic in C.

Scoring: BM25F. At indexing, each field's term frequency is normalised by the field's length
against the shard's average length (title 3, keywords 2, body 1), summed across fields and
saturated (``k1``); the saturated weight is stored in the posting list. A query word scores
``idf * weight`` through its best-matching alternative in the stem layer (its stem, a synonym
group, a typo correction, a completion of the word being typed) plus a smaller bonus when the
document also has it in the exact form. Removed or replaced documents are masked out and their
postings dropped when the shard is compacted.
"""

from __future__ import annotations

import bisect
import math
import threading
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from qoldau.knowledge.search import analyzer
from qoldau.knowledge.search.typo import DeleteIndex

K1: Final = 1.6  # measured: 1.6 beat 0.9 and 1.2 on both labelled sets (docs/performance.md)
# (field weight, length normalisation b, prior average length in words)
TITLE: Final = (3.0, 0.5, 6.0)
KEYWORDS: Final = (2.0, 0.3, 4.0)
BODY: Final = (1.0, 0.75, 150.0)
PRIOR_DOCUMENTS: Final = 20  # the averages start from these priors, so early documents are fair

EXACT_BONUS: Final = 0.25  # share of the exact form's score added to the stem score
OTHER_SPELLING: Final = 0.95  # a Latin word's less likely Cyrillic reading
PREFIX_WEIGHT: Final = 0.9  # a completion of the word being typed
PREFIX_MIN: Final = 2  # characters typed before completions are offered
PREFIX_CANDIDATES: Final = 8  # completions per layer, the most frequent first
PREFIX_SCAN: Final = 400  # vocabulary entries examined for completions
TYPO_WEIGHT: Final = {1: 0.8, 2: 0.6}
TYPO_CANDIDATES: Final = 3
BACKOFF_WEIGHT: Final = 0.7  # a known stem that is the query stem less its last 1-3 letters
BACKOFF_MIN: Final = 4
BACKOFF_MAX: Final = 3
PHRASE_REST: Final = 0.3  # weight left to the other words of a multi-word synonym in a query
COMPACT_MIN_DEAD: Final = 1000
COMPACT_DEAD_SHARE: Final = 0.3
_SYNONYM_MARK: Final = "\x01"

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Document:
    """One language version of an article, as the search sees it."""

    key: str  # unique, e.g. "42:kk"
    language: str  # "kk" | "ru" | "en"
    title: str
    keywords: tuple[str, ...] = ()
    body: str = ""  # plain text
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    language: str
    matched_terms: frozenset[str]  # analysed terms that matched, for highlight()


class _Postings:
    __slots__ = ("ids", "weights")

    def __init__(self) -> None:
        self.ids = array("i")
        self.weights = array("f")


class _Layer:
    """One inverted index: term → postings, document frequencies, a sorted vocabulary for
    completions and a delete index for typos (kept up to date as terms arrive, so no search
    pays for building it)."""

    __slots__ = ("_pending", "_sorted", "df", "postings", "typos")

    def __init__(self) -> None:
        self.postings: dict[str, _Postings] = {}
        self.df: dict[str, int] = {}
        self._sorted: list[str] = []
        self._pending: list[str] = []
        self.typos = DeleteIndex()

    def add(self, term: str, doc: int, weight: float) -> None:
        postings = self.postings.get(term)
        if postings is None:
            postings = self.postings[term] = _Postings()
            if not term.startswith(_SYNONYM_MARK):
                self._pending.append(term)
                self.typos.add(term)
        postings.ids.append(doc)
        postings.weights.append(weight)
        self.df[term] = self.df.get(term, 0) + 1

    def completions(self, prefix: str) -> list[str]:
        """The most frequent live terms that start with ``prefix``."""
        if self._pending:
            if len(self._pending) > 2000:
                self._sorted = sorted(
                    term for term in self.postings if not term.startswith(_SYNONYM_MARK)
                )
            else:
                for term in self._pending:
                    bisect.insort(self._sorted, term)
            self._pending = []
        start = bisect.bisect_left(self._sorted, prefix)
        found: list[tuple[int, str]] = []
        for term in self._sorted[start : start + PREFIX_SCAN]:
            if not term.startswith(prefix):
                break
            df = self.df.get(term, 0)
            if df:
                found.append((df, term))
        found.sort(key=lambda item: (-item[0], item[1]))
        return [term for _, term in found[:PREFIX_CANDIDATES]]

    def typo_candidates(self, word: str) -> list[tuple[str, int]]:
        found = [(term, d) for term, d in self.typos.candidates(word) if self.df.get(term, 0)]
        found.sort(key=lambda item: (item[1], -self.df[item[0]], item[0]))
        return found[:TYPO_CANDIDATES]


@dataclass(slots=True)
class _Alternative:
    layer: _Layer
    term: str
    weight: float
    idf_term: str | None = None  # take the idf from this stem-layer term instead


@dataclass(slots=True)
class _Position:
    """One word of the query: its alternatives (best one counts) and exact-form bonuses."""

    main: list[_Alternative] = field(default_factory=list)
    bonus: list[_Alternative] = field(default_factory=list)
    scale: float = 1.0


class _Synonyms:
    """Synonym groups analysed for one language: phrases of stems → group number."""

    def __init__(self, groups: Sequence[Sequence[str]], language: str) -> None:
        self.phrases: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.group_terms: dict[int, frozenset[str]] = {}
        for number, group in enumerate(groups):
            words: set[str] = set()
            for variant in group:
                variant_terms = analyzer.terms(variant, language)
                stems = tuple(stem for _, stem in variant_terms)
                if not stems:
                    continue
                words.update(stem for _, stem in variant_terms)
                words.update(exact for exact, _ in variant_terms)
                self.phrases.setdefault(stems[0], []).append((stems, number))
            self.group_terms[number] = frozenset(words)
        for candidates in self.phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))

    def find(self, stems: Sequence[str]) -> list[tuple[int, int, int]]:
        """(start, end, group) of every synonym phrase in a sequence of stems, left to right."""
        found: list[tuple[int, int, int]] = []
        for start, first in enumerate(stems):
            for phrase, group in self.phrases.get(first, ()):
                end = start + len(phrase)
                if tuple(stems[start:end]) == phrase:
                    found.append((start, end, group))
        return found


class _Shard:
    """The documents of one language."""

    def __init__(self, language: str, synonyms: _Synonyms) -> None:
        self.language = language
        self.synonyms = synonyms
        self.keys: list[str] = []
        self.alive = bytearray()
        self.dead = 0
        self.stem = _Layer()
        self.exact = _Layer()
        self.doc_terms: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        self.filter_codes: dict[str, array[int]] = {}
        self.filter_values: dict[str, dict[str, int]] = {}
        self.length_sums = [0.0, 0.0, 0.0]

    @property
    def live(self) -> int:
        return len(self.keys) - self.dead

    def add(self, doc: Document) -> int:
        number = len(self.keys)
        fields = (
            (doc.title, TITLE),
            ("\n".join(doc.keywords), KEYWORDS),
            (doc.body, BODY),
        )
        stem_tf: dict[str, float] = defaultdict(float)
        exact_tf: dict[str, float] = defaultdict(float)
        live = self.live + 1
        for index, (text, (weight, b, prior)) in enumerate(fields):
            field_terms = analyzer.terms(text, self.language) if text else []
            length = len(field_terms)
            self.length_sums[index] += length
            if not length:
                continue
            average = (self.length_sums[index] + PRIOR_DOCUMENTS * prior) / (live + PRIOR_DOCUMENTS)
            # a field far shorter than average gains at most 2x: a one-line body must not
            # outweigh a keyword
            share = weight / max(0.5, 1.0 - b + b * length / max(average, 1.0))
            stems = [stem for _, stem in field_terms]
            for exact, stem in field_terms:
                stem_tf[stem] += share
                exact_tf[exact] += share
            for _, _, group in self.synonyms.find(stems):
                stem_tf[f"{_SYNONYM_MARK}{group}"] += share
        for term, tf in stem_tf.items():
            self.stem.add(term, number, tf * (K1 + 1.0) / (tf + K1))
        for term, tf in exact_tf.items():
            self.exact.add(term, number, tf * (K1 + 1.0) / (tf + K1))
        self.keys.append(doc.key)
        self.alive.append(1)
        self.doc_terms.append((tuple(stem_tf), tuple(exact_tf)))
        for name, codes in self.filter_codes.items():
            codes.append(self._code(name, doc.filters.get(name)))
        for name in doc.filters.keys() - self.filter_codes.keys():
            codes = self.filter_codes[name] = array("i", [-1]) * number
            self.filter_values[name] = {}
            codes.append(self._code(name, doc.filters[name]))
        return number

    def _code(self, name: str, value: str | None) -> int:
        if value is None:
            return -1
        values = self.filter_values[name]
        return values.setdefault(value, len(values))

    def remove(self, number: int) -> None:
        if not self.alive[number]:
            return
        self.alive[number] = 0
        self.dead += 1
        stems, exacts = self.doc_terms[number]
        for layer, layer_terms in ((self.stem, stems), (self.exact, exacts)):
            for term in layer_terms:
                layer.df[term] -= 1
        self.doc_terms[number] = ((), ())

    def needs_compaction(self) -> bool:
        return self.dead >= COMPACT_MIN_DEAD and self.dead >= COMPACT_DEAD_SHARE * len(self.keys)

    # --- search -----------------------------------------------------------------------------

    def _idf(self, layer: _Layer, term: str) -> float:
        df = layer.df.get(term, 0)
        if df <= 0:
            return 0.0
        n = self.live
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _alternative_idf(self, alternative: _Alternative) -> float:
        if not alternative.layer.df.get(alternative.term, 0):
            return 0.0
        if alternative.idf_term is not None:
            return self._idf(self.stem, alternative.idf_term)
        return self._idf(alternative.layer, alternative.term)

    def _knows(self, exact: str, stem: str) -> bool:
        return self.stem.df.get(stem, 0) > 0 or self.exact.df.get(exact, 0) > 0

    def positions(self, words: list[analyzer.QueryWord], prefix: bool) -> list[_Position]:
        words = [word for word in words if not word.stop]
        positions: list[_Position] = []
        chosen_stems: list[str] = []
        stem_of = analyzer.stemmer_for(self.language)
        for index, word in enumerate(words):
            position = _Position()
            spellings = list(zip(word.exact, word.stems, strict=True))
            known = [(e, s) for e, s in spellings if self._knows(e, s)]
            for rank, (exact, stem) in enumerate(known or spellings[:1]):
                weight = 1.0 if rank == 0 else OTHER_SPELLING
                position.main.append(_Alternative(self.stem, stem, weight))
                # the exact form's bonus uses the stem's idf: a rare form must not outweigh
                # the word itself ("slightly above a stem-only match")
                position.bonus.append(
                    _Alternative(self.exact, exact, weight * EXACT_BONUS, idf_term=stem)
                )
            exact, stem = (known or spellings)[0]
            chosen_stems.append(stem)
            # a shorter stem the index knows ("получен" → "получ": получение ~ получить)
            for cut in range(1, BACKOFF_MAX + 1):
                shorter = stem[:-cut]
                if len(shorter) < BACKOFF_MIN:
                    break
                if self.stem.df.get(shorter, 0):
                    position.main.append(_Alternative(self.stem, shorter, BACKOFF_WEIGHT))
                    break
            last = index == len(words) - 1
            if prefix and last and len(exact) >= PREFIX_MIN:
                for layer in (self.stem, self.exact):
                    for term in layer.completions(exact):
                        position.main.append(_Alternative(layer, term, PREFIX_WEIGHT))
            if not known:
                for candidate, distance in self.exact.typo_candidates(exact):
                    weight = TYPO_WEIGHT[distance]
                    position.main.append(_Alternative(self.exact, candidate, weight))
                    position.main.append(_Alternative(self.stem, stem_of(candidate), weight))
                for candidate, distance in self.stem.typo_candidates(stem):
                    position.main.append(_Alternative(self.stem, candidate, TYPO_WEIGHT[distance]))
            positions.append(position)
        for start, end, group in self.synonyms.find(chosen_stems):
            positions[start].main.append(_Alternative(self.stem, f"{_SYNONYM_MARK}{group}", 1.0))
            for rest in range(start + 1, end):
                positions[rest].scale = min(positions[rest].scale, PHRASE_REST)
        return positions

    def score(self, positions: list[_Position]) -> FloatArray:
        size = len(self.keys)
        total = np.zeros(size, dtype=np.float32)
        for position in positions:
            for group in (position.main, position.bonus):
                live = [
                    (alternative, idf)
                    for alternative in group
                    if alternative.term in alternative.layer.postings
                    and (idf := self._alternative_idf(alternative)) > 0.0
                ]
                if not live:
                    continue
                if len(live) == 1:
                    alternative, idf = live[0]
                    ids, weights = self._arrays(alternative)
                    total[ids] += weights * np.float32(idf * alternative.weight * position.scale)
                    continue
                best = np.zeros(size, dtype=np.float32)
                for alternative, idf in live:
                    ids, weights = self._arrays(alternative)
                    contribution = weights * np.float32(idf * alternative.weight * position.scale)
                    current = best[ids]
                    np.maximum(current, contribution, out=current)
                    best[ids] = current
                total += best
        return total

    @staticmethod
    def _arrays(
        alternative: _Alternative,
    ) -> tuple[npt.NDArray[np.int32], FloatArray]:
        postings = alternative.layer.postings[alternative.term]
        return (
            np.frombuffer(postings.ids, dtype=np.int32),
            np.frombuffer(postings.weights, dtype=np.float32),
        )

    def select(
        self, total: FloatArray, limit: int, filters: Mapping[str, Collection[str]] | None
    ) -> list[tuple[int, float]]:
        candidates = np.flatnonzero(total)
        if not candidates.size:
            return []
        alive = np.frombuffer(self.alive, dtype=np.uint8)
        candidates = candidates[alive[candidates] == 1]
        for name, allowed in (filters or {}).items():
            if not allowed or not candidates.size:
                continue
            values = self.filter_values.get(name, {})
            codes = [values[value] for value in allowed if value in values]
            if not codes:
                return []
            column = np.frombuffer(self.filter_codes[name], dtype=np.int32)
            candidates = candidates[np.isin(column[candidates], codes)]
        if not candidates.size:
            return []
        scores = total[candidates]
        if candidates.size > limit:
            top = np.argpartition(-scores, limit - 1)[:limit]
            candidates, scores = candidates[top], scores[top]
        order = np.lexsort((candidates, -scores))
        return [(int(candidates[i]), float(scores[i])) for i in order]

    def matched_terms(self, number: int, positions: list[_Position]) -> frozenset[str]:
        stems, exacts = self.doc_terms[number]
        have = {self.stem: set(stems), self.exact: set(exacts)}
        matched: set[str] = set()
        for position in positions:
            for alternative in (*position.main, *position.bonus):
                if alternative.term not in have[alternative.layer]:
                    continue
                if alternative.term.startswith(_SYNONYM_MARK):
                    group = int(alternative.term[1:])
                    matched |= self.synonyms.group_terms.get(group, frozenset())
                else:
                    matched.add(alternative.term)
        return frozenset(matched)


class SearchIndex:
    """Full-text search over knowledge-base documents in Kazakh, Russian and English.

    Thread-safe (one lock; searches take a few milliseconds). ``upsert`` makes an edit searchable
    at once; ``set_synonyms`` re-indexes everything (synonym groups are index terms).
    """

    def __init__(self, synonyms: Iterable[Iterable[str]] = ()) -> None:
        self._lock = threading.RLock()
        self._groups: list[tuple[str, ...]] = []
        self._docs: dict[str, Document] = {}
        self._where: dict[str, tuple[_Shard, int]] = {}
        self._shards: dict[str, _Shard] = {}
        self._synonyms: dict[str, _Synonyms] = {}
        self.set_synonyms(synonyms)

    def set_synonyms(self, synonyms: Iterable[Iterable[str]]) -> None:
        """Replace the synonym groups (each a collection of equivalent words or phrases)."""
        groups = [tuple(str(variant) for variant in group) for group in synonyms]
        with self._lock:
            self._groups = [group for group in groups if len(group) > 1]
            self._synonyms = {}
            for language in list(self._shards):
                self._rebuild(language)

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._docs

    def upsert(self, doc: Document) -> None:
        """Add a document, or replace the one with the same key; searchable on return."""
        with self._lock:
            self._unlink(doc.key)
            shard = self._shard(doc.language)
            self._where[doc.key] = (shard, shard.add(doc))
            self._docs[doc.key] = doc

    def remove(self, key: str) -> None:
        """Forget a document; unknown keys are ignored."""
        with self._lock:
            self._unlink(key)

    def _unlink(self, key: str) -> None:
        place = self._where.pop(key, None)
        self._docs.pop(key, None)
        if place is None:
            return
        shard, number = place
        shard.remove(number)
        if shard.needs_compaction():
            self._rebuild(shard.language)

    def _language_synonyms(self, language: str) -> _Synonyms:
        found = self._synonyms.get(language)
        if found is None:
            found = self._synonyms[language] = _Synonyms(self._groups, language)
        return found

    def _shard(self, language: str) -> _Shard:
        shard = self._shards.get(language)
        if shard is None:
            shard = self._shards[language] = _Shard(language, self._language_synonyms(language))
        return shard

    def _rebuild(self, language: str) -> None:
        shard = self._shards[language] = _Shard(language, self._language_synonyms(language))
        for doc in self._docs.values():
            if doc.language == language:
                self._where[doc.key] = (shard, shard.add(doc))

    def search(
        self,
        query: str,
        *,
        languages: Sequence[str],
        limit: int = 10,
        filters: Mapping[str, Collection[str]] | None = None,
        prefix: bool = True,
    ) -> list[Hit]:
        """The best ``limit`` documents in ``languages`` for ``query``, best first.

        ``filters`` maps a filter name to the values allowed (a document without the name does
        not pass; an empty collection means no condition). With ``prefix`` the last query word
        also matches as the beginning of a word (results as you type).
        """
        if limit <= 0 or not isinstance(query, str) or not query.strip():
            return []
        hits: list[Hit] = []
        with self._lock:
            for language in dict.fromkeys(languages):
                shard = self._shards.get(language)
                if shard is None or not shard.live:
                    continue
                words = analyzer.analyze_query(query, language)
                positions = shard.positions(words, prefix)
                if not positions:
                    continue
                total = shard.score(positions)
                for number, score in shard.select(total, limit, filters):
                    hits.append(
                        Hit(
                            key=shard.keys[number],
                            score=score,
                            language=language,
                            matched_terms=shard.matched_terms(number, positions),
                        )
                    )
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits[:limit]
