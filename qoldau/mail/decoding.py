"""Turning bytes and header text into clean text (R9): charsets named, misnamed or missing,
RFC 2047 encoded-words broken in every way mail programs break them, raw 8-bit headers, HTML
bodies. Pure functions that never raise."""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import itertools
import math
import re
from html.parser import HTMLParser

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Text that every database can store: no NUL or other control characters, no surrogates."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))


def clean_line(value: str, limit: int) -> str:
    """One line of header text, whitespace collapsed, cut at ``limit`` characters."""
    return " ".join(clean_text(value).split())[:limit]


# --- charsets -----------------------------------------------------------------------------------
_CHARSET_ALIASES = {
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "x-cp1251": "cp1251",
    "x-win-1251": "cp1251",
    "windows-1251-kz": "kz1048",
    "koi8r": "koi8_r",
    "koi-8-r": "koi8_r",
    "koi8u": "koi8_u",
    "iso-8859-1": "cp1252",  # everyone means windows-1252 when they say latin-1
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# Names that mean "we do not know" and must be guessed.
_UNKNOWN_CHARSETS = frozenset(
    {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "8bit"}
)


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when it must be guessed."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*kk
    if label in _UNKNOWN_CHARSETS:
        return None
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# Relative frequency of lowercase letters in Russian and Kazakh text (per cent, rounded). Guessing
# a charset scores each candidate decoding by how much it looks like ordinary text: the wrong
# single-byte Cyrillic charset turns lowercase text into capitals, box drawing or Serbian letters.
_LETTER_FREQUENCY = {
    "о": 10.0, "е": 8.4, "а": 8.6, "и": 6.5, "н": 6.7, "т": 6.0, "с": 5.0, "р": 4.7, "в": 4.2,
    "л": 4.6, "к": 3.7, "м": 3.2, "д": 3.0, "п": 2.6, "у": 2.6, "я": 1.9, "ы": 2.2, "ь": 1.6,
    "г": 1.6, "з": 1.6, "б": 1.6, "ч": 1.3, "й": 1.2, "х": 0.9, "ж": 1.0, "ш": 0.8, "ю": 0.6,
    "ц": 0.5, "щ": 0.3, "э": 0.3, "ф": 0.3, "ъ": 0.05, "ё": 0.1,
    "ә": 1.5, "ғ": 0.8, "қ": 1.6, "ң": 1.0, "ө": 0.8, "ұ": 0.9, "ү": 1.2, "һ": 0.05, "і": 2.0,
}  # fmt: skip
_GUESS_CANDIDATES = ("cp1251", "koi8_r", "kz1048")


def _mixed_case_words(text: str) -> int:
    """Words with a capital right after a small letter ("цДЕ"): what the wrong Cyrillic charset
    makes of ordinary text."""
    found = 0
    for word in re.findall(r"[^\W\d_]{2,}", text):
        if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)):
            found += 1
    return found


def _plausibility(text: str) -> float:
    """Average score per non-ASCII character: high for ordinary Cyrillic text. A capital after a
    small letter inside a word ("цДЕ") is what the wrong Cyrillic charset produces."""
    count = 0
    total = -3.0 * _mixed_case_words(text)
    for char in text:
        if char < "\x80":
            continue
        count += 1
        frequency = _LETTER_FREQUENCY.get(char)
        if frequency is not None:
            total += math.log(1 + frequency)
            continue
        lower = _LETTER_FREQUENCY.get(char.lower())
        if lower is not None:
            total += math.log(1 + lower) * 0.35  # capitals are rarer than small letters
        elif char in "«»—–№…“”„‘’•·°±§©®€\u00a0":
            total += 0.5  # typography a real text may contain
        elif char == "\ufffd":
            total -= 4.0
        else:
            total -= 2.0  # box drawing, Serbian or Macedonian letters, control characters
    return total / count if count else 0.0


def guess_charset(data: bytes) -> str:
    """ASCII, else UTF-8 if it decodes, else the most plausible single-byte Cyrillic charset."""
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        pass
    else:
        return "ascii"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    sample = data[:20000]
    best, best_score = _GUESS_CANDIDATES[0], -math.inf
    for candidate in _GUESS_CANDIDATES:
        score = _plausibility(sample.decode(candidate, errors="replace"))
        if score > best_score + 1e-9:
            best, best_score = candidate, score
    return best


def _is_multibyte_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(byte >= 0x80 for byte in data)


_SINGLE_BYTE = frozenset(
    {"cp1251", "koi8-r", "koi8-u", "kz1048", "iso8859-5", "cp866", "cp1252", "mac-cyrillic"}
)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, bool]:
    """Text of ``data`` in its declared charset, guessed when missing or wrong.

    Returns the text and whether the charset had to be guessed (or the declared one failed)."""
    charset = normalise_charset(declared)
    if charset == "ascii" and any(byte >= 0x80 for byte in data):
        charset = None  # "us-ascii" with 8-bit bytes is a lie; guess
    if charset in _SINGLE_BYTE and _is_multibyte_utf8(data):
        # Text declared windows-1251 (or the like) that is valid multi-byte UTF-8 is UTF-8: real
        # Cyrillic text in a single-byte charset practically never forms valid UTF-8 sequences.
        return data.decode("utf-8"), True
    if charset is not None:
        try:
            return data.decode(charset), False
        except (UnicodeDecodeError, LookupError):
            pass
    guessed = guess_charset(data)
    return data.decode(guessed, errors="replace"), True


def raw_header_text(value: str) -> tuple[str, bool]:
    """Header text as parsed from bytes: 8-bit bytes come back as surrogate escapes; decode them
    as UTF-8 or a guessed Cyrillic charset. Returns the text and whether a guess was needed."""
    if not _SURROGATE.search(value):
        return value, False
    data = value.encode("ascii", "surrogateescape")
    return data.decode(guess_charset(data), errors="replace"), True


# --- RFC 2047 encoded-words ---------------------------------------------------------------------
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    if encoding.upper() == "B":
        compact = re.sub(r"[^A-Za-z0-9+/=_-]", "", payload).rstrip("=")
        compact = compact.replace("-", "+").replace("_", "/")
        compact += "=" * (-len(compact) % 4)
        try:
            return base64.b64decode(compact)
        except (binascii.Error, ValueError):
            # Keep what decodes: drop characters from the end until it does.
            for cut in range(1, 4):
                try:
                    trimmed = compact.rstrip("=")[:-cut]
                    return base64.b64decode(trimmed + "=" * (-len(trimmed) % 4))
                except (binascii.Error, ValueError):
                    continue
            return b""
    text = payload.replace("_", " ")
    return binascii.a2b_qp(text.encode("ascii", "surrogateescape"), header=False)


def decode_header_value(value: object) -> str:
    """Unfolded, decoded text of a header; never raises.

    Handles encoded-words split in the middle of a multi-byte character (adjacent words of one
    charset are joined before decoding), words glued together or with spaces inside, unknown or
    misspelt charsets, bad base64 padding, and raw 8-bit text with no encoding at all."""
    if value is None:
        return ""
    text = str(value)
    text = re.sub(r"\r?\n[ \t]*", " ", text)
    text, _guessed = raw_header_text(text)
    if "=?" not in text:
        return clean_line(text, 10_000)
    pieces: list[tuple[str, bytes, str | None]] = []  # (kind, data, charset); kind "t" or "w"
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] == "w"):
            pieces.append(("t", between.encode("utf-8", "surrogatepass"), "utf-8"))
        charset, encoding, payload = match.groups()
        data = _decode_word_payload(encoding, payload)
        codec = normalise_charset(charset)
        if pieces and pieces[-1][0] == "w" and pieces[-1][2] == codec:
            pieces[-1] = ("w", pieces[-1][1] + data, codec)
        else:
            pieces.append(("w", data, codec))
        position = match.end()
    pieces.append(("t", text[position:].encode("utf-8", "surrogatepass"), "utf-8"))
    out: list[str] = []
    for kind, data, codec in pieces:
        if kind == "t":
            out.append(data.decode("utf-8", errors="replace"))
        else:
            out.append(decode_bytes(data, codec)[0])
    return clean_line("".join(out), 10_000)


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- HTML to text -------------------------------------------------------------------------------
class _TextFromHtml(HTMLParser):
    _BLOCKS = frozenset(
        word_set(
            "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre hr section article "
            "header footer dd dt address"
        )
    )
    _SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append("\t")
        if tag == "li":
            self.parts.append("• ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: blocks become lines, scripts and styles are dropped."""
    parser = _TextFromHtml()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # HTMLParser is lenient, but a hostile document must not stop us
        text = re.sub(r"<[^>]*>", " ", markup)
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
