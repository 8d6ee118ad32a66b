"""A Kazakh suffix stripper (R6): no published library stems Kazakh, so this one is ours.

Kazakh is agglutinative: a noun takes ``stem + plural + possessive + case`` and a verb takes
``stem + voice + (verbal noun | participle | tense) + person``, each slot with allomorphs chosen by
vowel harmony and by the sound the stem ends in (``құжат-тар-ды``, ``анықтама-лар-ды``,
``тірке-л-ген``). The stripper removes suffixes from the right, one slot at a time, always
moving leftwards in that template, and checks each candidate against the sound it follows, the
vowel harmony of the stem and a minimum stem length. A short list of protected roots stops it
cutting into frequent words whose ending looks like a suffix (``қызмет`` is not ``қызм-ет``).

It works on *folded* words (see :func:`qoldau.knowledge.search.analyzer.fold`: ә→а, ғ→г, қ→к,
ң→н, ө→о, ұ/ү→у, һ→х, і→и), so a query typed without Kazakh letters stems exactly like the same
query typed properly. Stems are index terms, not dictionary words: what matters is that the forms
of one word meet and different words stay apart; the tests hold it to real word forms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

VOWELS: Final = frozenset("аеиоуыэюяё")
FRONT: Final = frozenset("еиэ")  # certainly front after folding (ә, ө, ү fold into back letters)
BACK: Final = frozenset("ы")  # certainly back after folding
VOICED: Final = frozenset("лрйузжмн")  # sonorants and voiced consonants (у, и double as glides)
VOICELESS: Final = frozenset("кпстшфхцчщбвгд")  # б, в, г, д: loanwords behave as voiceless
NASAL: Final = frozenset("мн")

# Slots of the template, rightmost first. A suffix of one slot may be followed (to its right) only
# by the slots listed after it; stripping therefore walks leftwards through this order.
CASE, POSS, PLURAL, DERIV, VERBAL, VOICE = range(6)
_BEFORE: Final[dict[int, frozenset[int]]] = {
    -1: frozenset({CASE, POSS, PLURAL, DERIV, VERBAL}),
    CASE: frozenset({POSS, PLURAL, DERIV, VERBAL}),
    POSS: frozenset({PLURAL, DERIV, VERBAL}),
    PLURAL: frozenset({DERIV, VERBAL}),
    DERIV: frozenset(),
    VERBAL: frozenset({VOICE}),
    VOICE: frozenset(),
}

# Conditions on what precedes a suffix.
(
    ANY,
    AFTER_V,
    AFTER_C,
    AFTER_VOICED,
    AFTER_VL,
    AFTER_POSS3,
    AFTER_V_OR_VOICED,
    AFTER_POSS3_OR_NASAL,
) = range(8)

# (suffix, slot, condition, minimum length of what remains)
_RULES: Final[list[tuple[str, int, int, int]]] = [
    # --- case endings -------------------------------------------------------------------------
    # genitive -ның/-нің, -дың/-дің, -тың/-тің
    ("нын", CASE, AFTER_V, 2),
    ("нин", CASE, AFTER_V, 2),
    ("нын", CASE, AFTER_POSS3_OR_NASAL, 2),
    ("нин", CASE, AFTER_POSS3_OR_NASAL, 2),
    ("дын", CASE, AFTER_VOICED, 2),
    ("дин", CASE, AFTER_VOICED, 2),
    ("тын", CASE, AFTER_VL, 3),
    ("тин", CASE, AFTER_VL, 3),
    # dative -ға/-ге, -қа/-ке, -на/-не
    ("га", CASE, AFTER_V_OR_VOICED, 2),
    ("ге", CASE, AFTER_V_OR_VOICED, 2),
    ("ка", CASE, AFTER_VL, 3),
    ("ке", CASE, AFTER_VL, 3),
    ("на", CASE, AFTER_POSS3, 3),
    ("не", CASE, AFTER_POSS3, 3),
    # accusative -ны/-ні, -ды/-ді, -ты/-ті, -н
    ("ны", CASE, AFTER_V, 2),
    ("ни", CASE, AFTER_V, 2),
    ("ды", CASE, AFTER_VOICED, 2),
    ("ди", CASE, AFTER_VOICED, 2),
    ("ты", CASE, AFTER_VL, 3),
    ("ти", CASE, AFTER_VL, 3),
    ("н", CASE, AFTER_POSS3, 3),
    # locative -да/-де, -та/-те, -нда/-нде; attributive -дағы/-дегі, -тағы/-тегі, -ндағы/-ндегі
    ("да", CASE, AFTER_V_OR_VOICED, 2),
    ("де", CASE, AFTER_V_OR_VOICED, 2),
    ("та", CASE, AFTER_VL, 3),
    ("те", CASE, AFTER_VL, 3),
    ("нда", CASE, AFTER_POSS3, 3),
    ("нде", CASE, AFTER_POSS3, 3),
    ("дагы", CASE, AFTER_V_OR_VOICED, 2),
    ("деги", CASE, AFTER_V_OR_VOICED, 2),
    ("тагы", CASE, AFTER_VL, 3),
    ("теги", CASE, AFTER_VL, 3),
    ("ндагы", CASE, AFTER_POSS3, 3),
    ("ндеги", CASE, AFTER_POSS3, 3),
    # ablative -дан/-ден, -тан/-тен, -нан/-нен
    ("дан", CASE, AFTER_V_OR_VOICED, 2),
    ("ден", CASE, AFTER_V_OR_VOICED, 2),
    ("тан", CASE, AFTER_VL, 3),
    ("тен", CASE, AFTER_VL, 3),
    ("нан", CASE, AFTER_POSS3_OR_NASAL, 3),
    ("нен", CASE, AFTER_POSS3_OR_NASAL, 3),
    # instrumental -мен/-бен/-пен
    ("мен", CASE, ANY, 3),
    ("бен", CASE, AFTER_VOICED, 3),
    ("пен", CASE, AFTER_VL, 3),
    # --- possessive and personal endings ----------------------------------------------------
    ("ымыз", POSS, AFTER_C, 3),
    ("имиз", POSS, AFTER_C, 3),
    ("ыныз", POSS, AFTER_C, 2),  # also the polite imperative: ал-ыңыз
    ("иниз", POSS, AFTER_C, 2),
    ("мыз", POSS, AFTER_V, 3),
    ("миз", POSS, AFTER_V, 3),
    ("ныз", POSS, AFTER_V, 3),
    ("низ", POSS, AFTER_V, 3),
    ("ым", POSS, AFTER_C, 5),  # first person is rare in articles; protects білім, шешім, бөлім
    ("им", POSS, AFTER_C, 5),
    ("ын", POSS, AFTER_C, 4),
    ("ин", POSS, AFTER_C, 4),
    ("сын", POSS, AFTER_V, 3),  # -сы-н (possessive + accusative), before -ын wins the tie
    ("син", POSS, AFTER_V, 3),
    ("сы", POSS, AFTER_V, 3),
    ("си", POSS, AFTER_V, 3),
    ("ы", POSS, AFTER_C, 3),
    ("и", POSS, AFTER_C, 3),
    ("м", POSS, AFTER_V, 5),
    # --- plural -----------------------------------------------------------------------------
    ("лар", PLURAL, AFTER_V, 2),
    ("лер", PLURAL, AFTER_V, 2),
    ("лар", PLURAL, AFTER_VOICED, 2),  # after р, й, у (checked below: not after л, м, н, з, ж)
    ("лер", PLURAL, AFTER_VOICED, 2),
    ("дар", PLURAL, AFTER_VOICED, 2),
    ("дер", PLURAL, AFTER_VOICED, 2),
    ("тар", PLURAL, AFTER_VL, 3),
    ("тер", PLURAL, AFTER_VL, 3),
    # --- derivation -лық/-лік (state, quality): азамат-тық, мемлекет-тік -----------------------
    ("лык", DERIV, AFTER_V, 3),
    ("лик", DERIV, AFTER_V, 3),
    ("лык", DERIV, AFTER_VOICED, 3),
    ("лик", DERIV, AFTER_VOICED, 3),
    ("дык", DERIV, AFTER_VOICED, 3),
    ("дик", DERIV, AFTER_VOICED, 3),
    ("тык", DERIV, AFTER_VL, 3),
    ("тик", DERIV, AFTER_VL, 3),
    # --- verbal forms -----------------------------------------------------------------------
    ("атын", VERBAL, AFTER_C, 2),  # future participle: ал-атын
    ("етин", VERBAL, AFTER_C, 2),
    ("йтын", VERBAL, AFTER_V, 2),  # тірке-йтін
    ("йтин", VERBAL, AFTER_V, 2),
    ("ады", VERBAL, AFTER_C, 2),  # present, third person: ал-а-ды, бер-е-ді
    ("еди", VERBAL, AFTER_C, 2),
    ("ушы", VERBAL, ANY, 2),  # agent noun: ал-ушы
    ("уши", VERBAL, ANY, 2),
    ("саныз", VERBAL, ANY, 2),  # polite conditional: ал-саңыз
    ("сениз", VERBAL, ANY, 2),
    ("ган", VERBAL, AFTER_V_OR_VOICED, 2),  # past participle: ал-ған, тіркел-ген
    ("ген", VERBAL, AFTER_V_OR_VOICED, 2),
    ("кан", VERBAL, AFTER_VL, 2),
    ("кен", VERBAL, AFTER_VL, 2),
    ("у", VERBAL, ANY, 2),  # verbal noun: ал-у, тірке-у
    # --- passive voice, only inside a verbal form: тірке-л-у, ал-ын-у, бер-іл-ген ---------------
    ("ыл", VOICE, AFTER_C, 2),
    ("ил", VOICE, AFTER_C, 2),
    ("ын", VOICE, AFTER_C, 2),
    ("ин", VOICE, AFTER_C, 2),
    ("л", VOICE, AFTER_V, 4),
    ("н", VOICE, AFTER_V, 4),
]

# Longest suffix first within the whole table: the longest analysis wins at each step.
_RULES.sort(key=lambda rule: -len(rule[0]))
_BY_LAST: Final[dict[str, list[tuple[str, int, int, int]]]] = {}
for _rule in _RULES:
    _BY_LAST.setdefault(_rule[0][-1], []).append(_rule)

# Frequent roots whose ending looks like a suffix; the stripper never cuts into them. Folded.
PROTECTED_ROOTS: Final = frozenset(
    {
        "адам",
        "азамат",
        "акпарат",
        "ана",
        "ата",
        "бала",
        "банк",
        "билим",
        "болим",
        "галым",
        "дерек",
        "жалакы",
        "жардемакы",
        "жер",
        "жылы",
        "кала",
        "карым",
        "кызмет",
        "кужат",
        "куалик",
        "кун",
        "мекен",
        "мекеме",
        "мемлекет",
        "мерзим",
        "нотариат",
        "онир",
        "оним",
        "орган",
        "отан",
        "салык",
        "сот",
        "тизим",
        "тулга",
        "уйым",
        "зейнетакы",
        "шешим",
        "шет",
        "элем",
    }
)
_PROTECTED_MAX = max(len(root) for root in PROTECTED_ROOTS)


def _last_vowel(word: str) -> str:
    for char in reversed(word):
        if char in VOWELS:
            return char
    return ""


def _harmonises(stem: str, suffix: str) -> bool:
    """False when the suffix's vowel clashes with the stem's last vowel (front vs back)."""
    suffix_vowel = _last_vowel(suffix)
    if not suffix_vowel:
        return True
    stem_vowel = _last_vowel(stem)
    if suffix_vowel in "аы" and stem_vowel in FRONT:
        return False
    return not (suffix_vowel in "еи" and stem_vowel in BACK)


def _fits(stem: str, condition: int) -> bool:
    last = stem[-1]
    if condition == ANY:
        return True
    if condition == AFTER_V:
        return last in VOWELS
    if condition == AFTER_C:
        return last not in VOWELS or last in "уи"  # у and и are glides as well as vowels
    if condition == AFTER_VOICED:
        return last in VOICED
    if condition == AFTER_VL:
        return last in VOICELESS
    if condition == AFTER_V_OR_VOICED:
        return last in VOWELS or last in VOICED
    if condition == AFTER_POSS3:
        return last in "ыи"
    if condition == AFTER_POSS3_OR_NASAL:
        return last in "ыи" or last in NASAL
    raise AssertionError(condition)


def _protected_length(word: str) -> int:
    """Length of the longest protected root that begins the word (0 if none)."""
    for length in range(min(_PROTECTED_MAX, len(word)), 2, -1):
        prefix = word[:length]
        if prefix in PROTECTED_ROOTS or _unvoice(prefix) in PROTECTED_ROOTS:
            return length
    return 0


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one folded, lower-case Kazakh word (``алуга`` → ``ал``)."""
    if len(word) < 3 or not word.isalpha():
        return word
    floor = max(2, _protected_length(word))
    slot = -1
    while True:
        allowed = _BEFORE[slot]
        if not allowed:
            break
        for suffix, rule_slot, condition, min_len in _BY_LAST.get(word[-1], ()):
            if rule_slot not in allowed or not word.endswith(suffix):
                continue
            remainder = word[: -len(suffix)]
            if len(remainder) < max(min_len, floor):
                continue
            if not any(char in VOWELS for char in remainder):
                continue
            if rule_slot == PLURAL and suffix[0] == "л" and remainder[-1] in "лмнзж":
                continue
            if not _fits(remainder, condition) or not _harmonises(remainder, suffix):
                continue
            word, slot = _unvoice(remainder), rule_slot
            break
        else:
            break
    # A stem-final і/ы after a consonant is usually a possessive the template could not reach
    # (жәрдемақы-лар keeps it, жәрдемақы loses it): drop it everywhere so both forms meet.
    if len(word) > max(3, floor) and word[-1] in "ыи" and word[-2] not in VOWELS:
        word = _unvoice(word[:-1])
    return word


def _unvoice(word: str) -> str:
    """Undo the alternation before a vowel-initial suffix: салығы → салық, кітабы → кітап."""
    if len(word) > 3 and word[-2] in VOWELS:
        if word[-1] == "г":
            return word[:-1] + "к"
        if word[-1] == "б":
            return word[:-1] + "п"
    return word
