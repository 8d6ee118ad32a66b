"""One text pipeline for indexing and for queries (R6).

``text → normalise (NFKC, case fold, ё→е, invisible characters out) → words → per word:
Latin Kazakh/Russian → Cyrillic (mixed-script words: Latin look-alikes → Cyrillic) → fold (ә→а,
ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, һ→х, і→и) → stop word? → stem (Kazakh: :mod:`.kazakh`; Russian and
English: Snowball through PyStemmer)``.

Each word gives two terms: its *exact* (folded, unstemmed) form and its *stem*. Folding happens
before everything else, so "ЭЦК калай алуга" and "ЭЦҚ қалай алуға" give the same terms, and so
does "ECQ qalay aluga".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import Stemmer  # type: ignore[import-not-found]

from qoldau.knowledge.search import kazakh, stopwords, translit

LANGUAGES: Final = ("kk", "ru", "en")
MAX_WORD_LENGTH: Final = 40  # longer "words" are noise (base64, hashes); they are not indexed
MAX_QUERY_WORDS: Final = 32
MAX_QUERY_CHARS: Final = 1000

_FOLD: Final = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
    }
)
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0307"), None)
# Latin letters that look like Cyrillic ones, for words typed in a mix of both keyboards
# ("бiлiм" with a Latin i, "ЭЦK" with a Latin K).
_HOMOGLYPHS: Final = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "i": "і",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }
)
WORD: Final = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*")
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")
_LATIN: Final = re.compile(r"[a-z]")
_HAS_DIGIT: Final = re.compile(r"\d")

# What a hyphen separates from an abbreviation in Kazakh ("ХҚКО-ға", "ЖСН-ді"): not a word.
_HYPHEN_SUFFIXES: Final = frozenset(
    rule[0] for rule in kazakh._RULES if rule[1] in (kazakh.CASE, kazakh.POSS, kazakh.PLURAL)
) | frozenset({"а", "у", "ом", "ов", "ы", "е", "ам", "ах", "ами"})


def normalise(text: str) -> str:
    """NFKC, case folding, ё→е and invisible characters removed (Kazakh letters are kept)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.translate(_INVISIBLE).replace("ё", "е")


def fold(word: str) -> str:
    """Kazakh letters to their Russian-keyboard look-alikes: ә→а, қ→к, і→и … (normalised input)."""
    return word.translate(_FOLD)


_STOP: Final[dict[str, frozenset[str]]] = {
    "kk": frozenset(fold(normalise(word)) for word in stopwords.KAZAKH),
    "ru": frozenset(fold(normalise(word)) for word in stopwords.RUSSIAN),
    "en": frozenset(fold(normalise(word)) for word in stopwords.ENGLISH),
}


def _snowball(name: str) -> Callable[[str], str]:
    stemmer = Stemmer.Stemmer(name)
    stemmer.maxCacheSize = 100_000
    return stemmer.stemWord  # type: ignore[no-any-return]


_STEMMERS: Final[dict[str, Callable[[str], str]]] = {
    "kk": kazakh.stem,
    "ru": _snowball("russian"),
    "en": _snowball("english"),
}


def stemmer_for(language: str) -> Callable[[str], str]:
    """The stemmer of a language (folded words in, stems out); unknown languages: Russian's."""
    return _STEMMERS.get(language, _STEMMERS["ru"])


def words(normalised: str) -> Iterator[re.Match[str]]:
    """The words of normalised text, as regex matches (so callers get their spans)."""
    return WORD.finditer(normalised)


def _spellings(word: str, language: str) -> list[str]:
    """Folded spellings of one normalised word, likeliest first (several only for Latin input)."""
    if language != "en" and _LATIN.search(word):
        if _CYRILLIC.search(word):
            return [fold(word.translate(_HOMOGLYPHS))]
        if translit.is_latin(word):
            return [fold(variant) for variant in translit.variants(word)]
    return [fold(word)]


_TermCache = dict[str, "tuple[str, str] | None"]
_CACHES: Final[dict[str, _TermCache]] = {language: {} for language in LANGUAGES}
_CACHE_LIMIT: Final = 300_000


def word_terms(word: str, language: str) -> tuple[str, str] | None:
    """(exact, stem) of one normalised word for indexing, or None for a stop word or noise."""
    cache = _CACHES.get(language)
    if cache is None:
        cache = _CACHES.setdefault(language, {})
    found = cache.get(word, False)
    if found is not False:
        return found  # type: ignore[return-value]
    result: tuple[str, str] | None = None
    if len(word) <= MAX_WORD_LENGTH:
        exact = _spellings(word, language)[0]
        if exact not in _STOP.get(language, frozenset()):
            stem = exact if _HAS_DIGIT.search(exact) else stemmer_for(language)(exact)
            result = (exact, stem or exact)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[word] = result
    return result


def terms(text: str, language: str) -> list[tuple[str, str]]:
    """(exact, stem) of every indexed word of a text, in order (stop words dropped)."""
    normalised = normalise(text)
    out: list[tuple[str, str]] = []
    previous_end = -2
    for match in WORD.finditer(normalised):
        word = match.group()
        start = match.start()
        hyphenated = start == previous_end + 1 and normalised[previous_end] == "-"
        if hyphenated and fold(word) in _HYPHEN_SUFFIXES:
            previous_end = match.end()
            continue
        previous_end = match.end()
        found = word_terms(word, language)
        if found is not None:
            out.append(found)
    return out


def analyze(text: str, language: str) -> list[str]:
    """The index terms (stems) of a text in a language, in order, stop words dropped."""
    return [stem for _, stem in terms(text, language)]


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of a query, analysed for one language."""

    text: str  # as typed, normalised
    exact: tuple[str, ...]  # folded spellings to try, likeliest first (several for Latin input)
    stems: tuple[str, ...]  # the stem of each spelling (same order, may repeat)
    stop: bool  # a stop word: never indexed, so it is not looked up


def analyze_query(query: str, language: str) -> list[QueryWord]:
    """The words of a query for one language (at most 32; stop words kept but marked)."""
    normalised = normalise(query[:MAX_QUERY_CHARS])
    out: list[QueryWord] = []
    stop_words = _STOP.get(language, frozenset())
    stem_of = stemmer_for(language)
    previous_end = -2
    for match in WORD.finditer(normalised):
        word = match.group()
        start = match.start()
        hyphenated = start == previous_end + 1 and normalised[previous_end] == "-"
        previous_end = match.end()
        if len(word) > MAX_WORD_LENGTH or (hyphenated and fold(word) in _HYPHEN_SUFFIXES):
            continue
        spellings = list(dict.fromkeys(_spellings(word, language)))
        stems = tuple(
            spelling if _HAS_DIGIT.search(spelling) else (stem_of(spelling) or spelling)
            for spelling in spellings
        )
        out.append(
            QueryWord(
                text=word,
                exact=tuple(spellings),
                stems=stems,
                stop=any(spelling in stop_words for spelling in spellings),
            )
        )
        if len(out) >= MAX_QUERY_WORDS:
            break
    return out
