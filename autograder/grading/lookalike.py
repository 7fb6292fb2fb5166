"""Student ids that look alike: ``Alice`` and ``alice``, or ``аlice`` with a Cyrillic ``а``.

They stay distinct ids (two real students may have them) and are graded apart; the batch summary
warns the TA, because one student may have handed in twice under two names. A small map of the
common confusables (Unicode's ``confusables.txt``) is enough for names: no dependency.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from autograder.grading.collect import shown

# Letters of other scripts drawn like a Latin one (Unicode's confusables.txt, the common cases), and
# digits that pass for letters. Ids stay distinct (two real students may be ``Alice`` and ``alice``);
# the TA is only told, because one student may have handed in under a second, look-alike name.
_CONFUSABLE = str.maketrans({
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "ν": "v", "ԝ": "w",
    "х": "x", "у": "y", "ʏ": "y", "ӏ": "l", "ɑ": "a", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i",
    "κ": "k", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ɡ": "g", "ı": "i", "ℓ": "l", "0": "o",
    "1": "l", "|": "l", "5": "s",
})


def skeleton(student_id: str) -> str:
    """What an id looks like: compatibility forms folded (NFKC: full-width letters, ligatures), case
    folded, look-alike letters mapped to the Latin one, ``rn`` read as ``m``."""
    folded = unicodedata.normalize("NFKC", student_id).casefold().translate(_CONFUSABLE)
    return folded.replace("rn", "m")


def look_alike_warnings(ids: Sequence[str]) -> list[str]:
    """One warning per group of distinct ids that differ only by case or by look-alike letters."""
    groups: dict[str, list[str]] = {}
    for sid in dict.fromkeys(ids):
        groups.setdefault(skeleton(sid), []).append(sid)
    warnings = []
    for group in groups.values():
        if len(group) > 1:
            how = ("only by case" if len({sid.casefold() for sid in group}) == 1
                   else "only by case or by letters that look alike (e.g. Cyrillic а and Latin a)")
            names = ", ".join(f"{shown(sid)} ({_scripts(sid)})" for sid in sorted(group))
            warnings.append(f"the ids {names} differ {how}: graded as different students; check that "
                            "they are not one student's two submissions")
    return warnings


def _scripts(student_id: str) -> str:
    """The scripts of an id's letters, as the TA can check them (``Latin``, ``Latin+Cyrillic``)."""
    found = dict.fromkeys(unicodedata.name(c, "?").split(" ")[0].title() for c in student_id if c.isalpha())
    return "+".join(found) or "no letters"
