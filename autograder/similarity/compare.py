"""Rank every pair of submissions by how much of their own code they share.

For a pair (A, B), ``share_a`` is the part of A's own code (its fingerprinted, normalised characters)
that B also has, and ``share_b`` the reverse: a student who copied one function from a long solution
shows a high share on one side only. Fingerprints are discounted before any comparison when they
occur in the sheet's notebook (given code, stubs, docstrings, check cells) or in more than
``max_common`` submissions (what everybody writes: MOSS's ``-m``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from autograder.similarity.extract import OwnCode
from autograder.similarity.fingerprint import (
    Fingerprints,
    Normalised,
    fingerprints,
    kgram_hashes,
    normalise_code,
    slices,
)


@dataclass(frozen=True)
class Settings:
    """Lengths count characters of normalised code (about 12 to a line of Python).

    ``k``: characters per fingerprint (shorter coincidences are noise); every shared run of
    ``k + window - 1`` characters is found. A pair is flagged when both shares reach ``threshold``
    (most of each side is in the other) and at least ``min_matched`` characters are shared, or when
    one unbroken shared run is ``min_run`` long (a copied function of about sixteen lines: the
    skeletons a sheet dictates, such as a model class's ``__init__``, reach about 170 in independent
    work). A fingerprint in more than ``max_common`` submissions is discounted (MOSS's ``-m``).
    """

    k: int = 25
    window: int = 6
    threshold: float = 0.5
    min_run: int = 200
    min_matched: int = 60
    max_common: int | None = None  # default: 10, or 5% of a class of more than 200

    def common_limit(self, submissions: int) -> int:
        return self.max_common if self.max_common is not None else max(10, submissions // 20)


@dataclass
class Document:
    own: OwnCode
    normalised: Normalised
    prints: Fingerprints
    unique: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    coverage: int = 0


@dataclass(frozen=True)
class PairScore:
    a: str
    b: str
    share_a: float
    share_b: float
    matched_a: int
    matched_b: int
    longest_run: int
    flagged: bool

    @property
    def share(self) -> float:
        return max(self.share_a, self.share_b)

    def rank_key(self) -> tuple[float, ...]:
        """Flagged first, then the longest unbroken run (a copied passage), then how much is shared.

        Not the share alone: a short submission shares a large part of itself by coincidence (a
        dictionary of given answers), while one copied function is a small part of a long one."""
        return (-float(self.flagged), -self.longest_run, -round(self.share, 4), -(self.matched_a + self.matched_b))


def build_documents(owns: Sequence[OwnCode], boilerplate_text: str, settings: Settings) -> list[Document]:
    """Fingerprint each comparable submission, with the sheet's and the class's common code discounted."""
    sheet_hashes = np.unique(kgram_hashes(normalise_code(boilerplate_text).text, settings.k))
    docs = []
    for own in owns:
        if own.problem or not own.text:
            continue
        normalised = own.normalised or normalise_code(own.text)
        prints = fingerprints(normalised.text, k=settings.k, window=settings.window).without(sheet_hashes)
        docs.append(Document(own, normalised, prints))
    if docs:
        every = np.concatenate([doc.prints.unique for doc in docs])
        values, counts = np.unique(every, return_counts=True)
        common = values[counts > settings.common_limit(len(docs))]
        for doc in docs:
            if len(common):
                doc.prints = doc.prints.without(common)
            doc.unique = doc.prints.unique
            doc.coverage = doc.prints.covered(settings.k)
    return [doc for doc in docs if doc.coverage > 0]


def score_pair(a: Document, b: Document, settings: Settings) -> PairScore | None:
    shared = np.intersect1d(a.unique, b.unique, assume_unique=True)
    if len(shared) == 0:
        return None
    runs_a, runs_b = (slices(d.prints.positions[np.isin(d.prints.hashes, shared)], settings.k) for d in (a, b))
    lengths_a, lengths_b = runs_a[1] - runs_a[0], runs_b[1] - runs_b[0]
    matched_a, matched_b = int(np.sum(lengths_a)), int(np.sum(lengths_b))
    share_a, share_b = matched_a / a.coverage, matched_b / b.coverage
    longest = int(min(np.max(lengths_a), np.max(lengths_b)))  # unbroken on both sides
    flagged = longest >= settings.min_run or (
        min(share_a, share_b) >= settings.threshold and max(matched_a, matched_b) >= settings.min_matched)
    return PairScore(a.own.key, b.own.key, share_a, share_b, matched_a, matched_b, longest, flagged)


def rank_pairs(docs: Sequence[Document], settings: Settings, *, current_only: bool = True) -> list[PairScore]:
    """Every pair that shares anything, best first; with archives, only pairs involving the class."""
    pairs = []
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            if current_only and a.own.cohort and b.own.cohort:
                continue  # two archived submissions: not this class's business
            if not a.own.cohort or b.own.cohort:  # the current student on the left
                pair = score_pair(a, b, settings)
            else:
                pair = score_pair(b, a, settings)
            if pair is not None:
                pairs.append(pair)
    return sorted(pairs, key=PairScore.rank_key)


@dataclass(frozen=True)
class Region:
    """A run of shared code in one side's own text (original characters) and the run it matches."""

    number: int
    start: int
    end: int
    partner: int


def matching_regions(a: Document, b: Document, settings: Settings) -> tuple[list[Region], list[Region]]:
    """The shared runs of each side, numbered, each linked to the other side's run it mostly matches."""
    shared = np.intersect1d(a.unique, b.unique, assume_unique=True)
    runs_a, runs_b = (slices(d.prints.positions[np.isin(d.prints.hashes, shared)], settings.k) for d in (a, b))
    first_b = {int(h): int(p) for h, p in zip(b.prints.hashes[::-1], b.prints.positions[::-1])}
    first_a = {int(h): int(p) for h, p in zip(a.prints.hashes[::-1], a.prints.positions[::-1])}
    regions_a = _regions(a, runs_a, runs_b, first_b, shared)
    regions_b = _regions(b, runs_b, runs_a, first_a, shared)
    return regions_a, regions_b


def _regions(doc: Document, runs: np.ndarray, other_runs: np.ndarray, other_first: dict[int, int],
             shared: np.ndarray) -> list[Region]:
    in_shared = np.isin(doc.prints.hashes, shared)
    hashes, positions = doc.prints.hashes[in_shared], doc.prints.positions[in_shared]
    regions = []
    for number, (start, end) in enumerate(zip(runs[0], runs[1])):
        inside = hashes[(positions >= start) & (positions < end)]
        votes = np.searchsorted(other_runs[1], [other_first[int(h)] for h in inside], side="right")
        partner = int(np.bincount(votes).argmax()) if len(votes) else 0
        raw_start, raw_end = doc.normalised.raw_span(int(start), int(end))
        regions.append(Region(number, raw_start, raw_end, partner))
    return regions


@dataclass(frozen=True)
class Group:
    """Submissions linked by flagged pairs (a connected component): one copied solution and its copies.

    ``pairs`` counts the flagged pairs inside; ``best`` is the group's best-ranked pair (index into
    the ranked list), the page to open first.
    """

    members: tuple[str, ...]
    pairs: int
    best: int
    share: float


def flagged_groups(pairs: Sequence[PairScore]) -> list[Group]:
    """Clusters of mutually similar submissions: the connected components of the flagged pairs.

    Four copies of one solution are one group of four (six pairs), not six findings; groups come
    largest first, then by their best pair's rank; members are sorted.
    """
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for pair in pairs:
        if pair.flagged:
            parent[root(pair.a)] = root(pair.b)
    members: dict[str, list[str]] = {}
    for key in parent:
        members.setdefault(root(key), []).append(key)
    groups = []
    for keys in members.values():
        within = set(keys)
        inside = [i for i, pair in enumerate(pairs) if pair.flagged and pair.a in within and pair.b in within]
        groups.append(Group(tuple(sorted(keys)), len(inside), inside[0], max(pairs[i].share for i in inside)))
    return sorted(groups, key=lambda g: (-len(g.members), g.best))
