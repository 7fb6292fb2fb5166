"""Winnowing fingerprints of normalised code (MOSS's method, through copydetect's implementation).

Code is first reduced to a token string in copydetect's way: names become ``V`` (variables and
attributes), ``F`` (a defined function) or ``O`` (a defined class), string contents ``S``; comments and
whitespace go; keywords, operators, numbers and builtins stay. Renaming, re-commenting or
re-indenting therefore changes nothing, and reordering functions only changes the few k-grams at
their borders. Two parts are ours, for reasons in docs/decisions.md: the token walk records, for each
normalised character, exactly where it came from (copydetect's offset table is off after a class
name, which would misplace highlights), and k-grams are hashed with a fixed polynomial hash
(copydetect uses Python's ``hash``, which is salted per process, so its figures change from run to
run: no good for evidence).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from copydetect.utils import get_copied_slices, winnow
from pygments import token
from pygments.lexers import PythonLexer

_LEXER = PythonLexer()
_VARIABLES = {token.Name, token.Name.Variable, token.Name.Attribute}
_BASE = np.uint64(1_000_003)
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)


@dataclass(frozen=True)
class Normalised:
    """The token string and, per character of it, the span of the original text it stands for."""

    text: str
    starts: np.ndarray
    ends: np.ndarray

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The original text behind normalised characters ``[start, end)``."""
        return int(self.starts[start]), int(self.ends[end - 1])


def _symbol(kind: object, value: str) -> str | None:
    """What a token becomes (copydetect's filter); None for one that is dropped."""
    if kind in _VARIABLES:
        return "V"
    if kind in token.Name.Function:
        return "F"
    if kind in token.Name.Class:
        return "O"
    if kind in token.Text or kind in token.Comment:
        return None
    if kind in token.Literal.String:
        return '"' if value in ("'", '"') else "S"
    return value or None


def joined(parts: list[tuple[int, Normalised]]) -> Normalised:
    """Normalised pieces of one text (each with the offset where its piece starts) as one."""
    if not parts:
        return Normalised("", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    return Normalised("".join(n.text for _, n in parts), np.concatenate([n.starts + at for at, n in parts]),
                      np.concatenate([n.ends + at for at, n in parts]))


@functools.lru_cache(maxsize=4096)
def normalise_code(code: str) -> Normalised:
    """Cached: a class's notebooks repeat the sheet's cells, and lexing is most of the run's time."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, kind, value in _LEXER.get_tokens_unprocessed(code):
        symbol = _symbol(kind, value)
        if not symbol:
            continue
        chars.append(symbol)
        if symbol == value:  # kept as written: character by character
            starts.extend(range(index, index + len(value)))
            ends.extend(range(index + 1, index + len(value) + 1))
        else:
            starts.append(index)
            ends.append(index + len(value))
    return Normalised("".join(chars), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))


def kgram_hashes(text: str, k: int) -> np.ndarray:
    """A 64-bit hash of every k-character window, the same in every process (int64)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    hashes = np.zeros(count, dtype=np.uint64)
    for i in range(k):  # Rabin-Karp, wrapping modulo 2**64
        hashes = hashes * _BASE + codes[i : i + count]
    hashes ^= hashes >> np.uint64(33)  # murmur's finaliser: winnowing picks minima, so mix the bits
    hashes *= _MIX1
    hashes ^= hashes >> np.uint64(33)
    hashes *= _MIX2
    hashes ^= hashes >> np.uint64(33)
    return hashes.view(np.int64)


@dataclass(frozen=True)
class Fingerprints:
    """The winnowed fingerprints of one text: ``hashes[i]`` is the k-gram at ``positions[i]``."""

    hashes: np.ndarray
    positions: np.ndarray

    @property
    def unique(self) -> np.ndarray:
        return np.unique(self.hashes)

    def without(self, discounted: np.ndarray) -> Fingerprints:
        keep = ~np.isin(self.hashes, discounted)
        return Fingerprints(self.hashes[keep], self.positions[keep])

    def covered(self, k: int) -> int:
        """Normalised characters inside at least one kept k-gram."""
        return span_length(self.positions, k)


def fingerprints(text: str, *, k: int, window: int) -> Fingerprints:
    hashes = kgram_hashes(text, k)
    if len(hashes) == 0:
        return Fingerprints(hashes, np.empty(0, dtype=np.int64))
    selected, positions = winnow(hashes, window, remove_duplicates=False)
    return Fingerprints(np.asarray(selected, dtype=np.int64), np.asarray(positions, dtype=np.int64))


def slices(positions: np.ndarray, k: int) -> np.ndarray:
    """``2 x n`` starts and ends of the runs the k-grams at ``positions`` cover (copydetect's merge)."""
    if len(positions) == 0:
        return np.empty((2, 0), dtype=np.int64)
    return np.asarray(get_copied_slices(positions, k), dtype=np.int64)


def span_length(positions: np.ndarray, k: int) -> int:
    runs = slices(positions, k)
    return int(np.sum(runs[1] - runs[0])) if runs.shape[1] else 0
