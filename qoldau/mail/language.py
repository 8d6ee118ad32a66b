"""Kazakh or Russian? (R34: information is given in the language the applicant chose; an e-mail
says it by being written in it.) Pure functions."""

from __future__ import annotations

import re

from qoldau.mail.decoding import word_set

# --- language -----------------------------------------------------------------------------------
_KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Frequent Kazakh words written without the Kazakh-specific letters.
_KAZAKH_WORDS = word_set(
    """мен сен ол біз бар жоқ деп бойынша туралы керек жылы алу беру ма ме ба бе па пе емес
    жеке сондай бірақ немесе және үшін сіз сізге сіздің маған менің бізге бұл осы сол қалай неге
    кезде арқылы туралы рахмет сәлеметсіз сәлем өтініш анықтама алуға алатын береді берілді
    болады болса болып жатыр тиіс қажет қандай қай жерде"""
)
_RUSSIAN_WORDS = word_set(
    """и в не на что с по я как для это мне меня мой моя вы вас вам ваш но или если уже так
    же бы был была было были от до из за при под над о об без здравствуйте спасибо пожалуйста
    прошу получить можно нужно нет да есть только когда где почему какой какие который которая
    ли его её их он она они мы нам нас очень тоже чтобы после через"""
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_QUOTE_START = re.compile(
    r"^(-{2,}\s*(original message|forwarded message|исходное сообщение|пересылаемое сообщение)"
    r"|_{5,}|.*(wrote|написал\(а\)|пишет|жазды):\s*$)",
    re.IGNORECASE,
)


def own_words(text: str) -> str:
    """The writer's own words: quoted lines (``>``) and everything after a reply header dropped."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if _QUOTE_START.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def detect_language(text: str, *, default: str) -> str:
    """ "kk" or "ru" from the words of ``text``; ``default`` when there is too little to tell.

    Kazakh is recognised by its own letters (ә ғ қ ң ө ұ ү һ і, also a Latin i typed inside a
    Cyrillic word) and by frequent Kazakh words; Russian by frequent Russian words. Cyrillic text
    with no Kazakh sign is Russian; text with no Cyrillic at all gets the mailbox's default."""
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    cyrillic = [w for w in words if _CYRILLIC.search(w)]
    if not cyrillic:
        return default
    kazakh = 0
    russian = 0
    for word in cyrillic:
        latin_i = "i" in word and len(word) > 1  # a Latin i typed for the Kazakh і
        if latin_i or word in _KAZAKH_WORDS or any(ch in _KAZAKH_LETTERS for ch in word):
            kazakh += 1
        elif word in _RUSSIAN_WORDS:
            russian += 1
    if kazakh == 0:
        return "ru"
    share = kazakh / len(cyrillic)
    if kazakh >= russian and share >= 0.1:
        return "kk"
    if russian > kazakh * 2 or share < 0.05:
        return "ru"
    return default
