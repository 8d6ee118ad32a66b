"""Kazakh (and informal Russian) typed in the Latin alphabet → Cyrillic (R6).

Covers the official Latin alphabets (2018 with acute accents: á ǵ ı ń ó ú ý, sh, ch; 2021 with
diaereses and breves: ä ğ ö ü ū ñ ş ç; the 2017 apostrophes: a' g' n' o' u' s' c') and the common
informal spellings (q for қ, gh for ғ, ng for ң, zh/j for ж, sh for ш, ch for ч, kh for х, w for у).
The result is folded afterwards (ә→а …), so the Kazakh-specific choices only need to land on the
right base letter. Some Latin letters stand for several Cyrillic ones (y: ы, й or у; i: і, и, ы;
j: ж or й); :func:`variants` lists the few spellings worth trying against the index vocabulary,
:func:`to_cyrillic` gives the most likely one.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

# Digraphs and trigraphs first (longest match wins).
_MULTI: Final[dict[str, tuple[str, ...]]] = {
    "shch": ("щ",),
    "sch": ("щ", "сч"),
    "sh": ("ш",),
    "ch": ("ч",),
    "zh": ("ж",),
    "kh": ("х",),
    "gh": ("г",),
    "ts": ("ц", "тс"),
    "ng": ("н", "нг"),
    "ya": ("я", "ыа"),
    "yu": ("ю", "ыу"),
    "yo": ("е", "ыо"),
    "ia": ("ия", "иа"),
    "iu": ("ию", "иу"),
}

_SINGLE: Final[dict[str, tuple[str, ...]]] = {
    "a": ("а",),
    "á": ("а",),
    "ä": ("а",),
    "b": ("б",),
    "c": ("ц", "с", "ч"),
    "ç": ("ч",),
    "d": ("д",),
    "e": ("е", "э"),
    "é": ("е",),
    "f": ("ф",),
    "g": ("г",),
    "ǵ": ("г",),
    "ğ": ("г",),
    "h": ("х",),
    "i": ("и", "ы", "й"),
    "ı": ("и", "ы"),  # 2018: и/й (Respýblıkasy); 2021: ы
    "ì": ("и",),
    "í": ("и",),
    "j": ("ж", "й"),
    "k": ("к",),
    "l": ("л",),
    "m": ("м",),
    "n": ("н",),
    "ń": ("н",),
    "ñ": ("н",),
    "o": ("о",),
    "ó": ("о",),
    "ö": ("о",),
    "p": ("п",),
    "q": ("к",),
    "r": ("р",),
    "s": ("с",),
    "ş": ("ш",),
    "t": ("т",),
    "u": ("у",),
    "ú": ("у",),
    "ü": ("у",),
    "ū": ("у",),
    "ý": ("у",),
    "v": ("в",),
    "w": ("у",),
    "x": ("х", "кс"),
    "y": ("ы", "й", "у"),
    "z": ("з",),
}

_APOSTROPHE: Final = re.compile(r"([agnoucsiy])['’ʼ`]")
_APOSTROPHE_MAP: Final = {
    "a": "ä",
    "g": "ğ",
    "n": "ñ",
    "o": "ö",
    "u": "ü",
    "c": "ç",
    "s": "ş",
    "i": "ı",
    "y": "ū",
}
_LATIN_VOWELS: Final = frozenset("aeiouyáäéíóöúüūýı")
LATIN_LETTERS: Final = frozenset(_SINGLE) | frozenset("'’ʼ`")


def is_latin(token: str) -> bool:
    """True when every character of the token is a Latin letter this module knows."""
    return bool(token) and all(char in LATIN_LETTERS for char in token)


def _pieces(word: str) -> list[tuple[str, ...]]:
    """The word cut into Latin letters and digraphs, each with its Cyrillic readings."""
    word = _APOSTROPHE.sub(lambda match: _APOSTROPHE_MAP[match.group(1)], word)
    pieces: list[tuple[str, ...]] = []
    i = 0
    while i < len(word):
        for size in (4, 3, 2):
            chunk = word[i : i + size]
            if len(chunk) == size and chunk in _MULTI:
                options = _MULTI[chunk]
                if chunk == "ng" and i + 2 < len(word) and word[i + 2] in _LATIN_VOWELS:
                    options = ("нг", "н")  # "ng" before a vowel is usually н+г (e.g. "angar")
                pieces.append(options)
                i += size
                break
        else:
            char = word[i]
            options = _SINGLE.get(char, (char,))
            if char == "y":
                before = word[i - 1] if i else ""
                after = word[i + 1] if i + 1 < len(word) else ""
                if before in _LATIN_VOWELS and after not in _LATIN_VOWELS:
                    options = ("й", "ы", "у")  # "qalay" → қалай
            pieces.append(options)
            i += 1
    return pieces


def to_cyrillic(word: str) -> str:
    """The likeliest Cyrillic spelling of a lower-case Latin word (``qalay`` → ``калай``)."""
    return "".join(options[0] for options in _pieces(word))


def variants(word: str, limit: int = 12) -> list[str]:
    """Up to ``limit`` Cyrillic spellings, the likeliest first, for the ambiguous letters."""
    pieces = _pieces(word)
    ambiguous = [i for i, options in enumerate(pieces) if len(options) > 1]
    if len(ambiguous) > 4:  # keep the search small: only the last four ambiguous letters vary
        keep = set(ambiguous[-4:])
        pieces = [options if i in keep else options[:1] for i, options in enumerate(pieces)]
    out: list[str] = []
    for combination in itertools.islice(itertools.product(*pieces), limit):
        out.append("".join(combination))
    return out
