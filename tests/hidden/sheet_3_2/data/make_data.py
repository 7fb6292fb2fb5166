"""Regenerate Sheet 3.2's data: the students' files and the judge's held-out files (staff only).

Run from anywhere (paths are relative to this file)::

    python tests/hidden/sheet_3_2/data/make_data.py [--names path/to/original/names-data.json]

This script lives with the hidden suite, not in the student bundle: it draws the judge's held-out
data with a fixed seed, so shipping it would ship the held-out data. Everything except the names is
generated from word lists and sentence templates written for this course, so a rerun rewrites the
same files byte for byte.

Outputs in ``assignments/sheet_3_2/data/`` (public):

- ``mlm_corpus.txt``: one short English sentence per line (a few hundred lines).
- ``qa_train.jsonl`` (training) and ``qa_dev.jsonl`` (a public dev split for students to measure
  themselves): one multiple-choice question per line,
  ``{"id", "question", "options": [5 strings, labelled A-E in order], "answer_key": "A".."E"}``.
  Exactly one option belongs to the category the question asks about, so the task is learnable
  word-category membership.
- ``mlm_tokenizer/vocab.txt``: a lower-casing whole-word WordPiece vocabulary (every corpus word,
  plus single characters as a fallback) with [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0-4.
- ``qa_tokenizer/vocab.json`` and ``qa_tokenizer/merges.txt``: a GPT-2-style byte-level BPE whose
  specials are ``<|endoftext|>`` (id 0: bos, eos, unk) and ``<|pad|>`` (id 1: pad).
- ``names-data.json``: the original names file (``SOURCE.md``) without the judge's held-out names.

Outputs next to this file (the judge's, never released): ``qa_heldout.jsonl`` and
``names-heldout.json`` (``HELDOUT_NAMES_PER_CATEGORY`` distinct names per category, every
occurrence of each removed from the public file). The names split needs the original file
(``--names``, by default ``../shared/data/names/names-data.json`` beside the project); without it the
names files are left as they are. No question or name is in both a public and a held-out file.
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections import Counter
from pathlib import Path

from tokenizers import ByteLevelBPETokenizer, normalizers, pre_tokenizers

HERE = Path(__file__).resolve().parent  # the judge's data folder
ROOT = HERE.parents[3]
PUBLIC = ROOT / "assignments" / "sheet_3_2" / "data"
ORIGINAL_NAMES = ROOT.parent / "shared" / "data" / "names" / "names-data.json"
SEED = 3_2
NAMES_SPLIT_SEED = 0
HELDOUT_NAMES_PER_CATEGORY = 10

# Each option word must be one BPE token (with its leading space), so that a causal model can
# score a span start without seeing the following token. make_qa() checks this.
CATEGORIES: dict[str, list[str]] = {
    "fruit": ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear", "plum",
              "melon", "kiwi", "apricot"],
    "animal": ["dog", "cat", "horse", "cow", "sheep", "tiger", "lion", "rabbit", "mouse", "wolf",
               "bear", "goat"],
    "colour": ["red", "blue", "green", "yellow", "purple", "black", "white", "pink", "grey",
               "violet", "crimson", "beige"],
    "vehicle": ["car", "bus", "truck", "bicycle", "train", "boat", "plane", "tractor", "scooter",
                "van", "ship", "taxi"],
    "tool": ["hammer", "saw", "wrench", "drill", "shovel", "chisel", "pliers", "screwdriver", "axe",
             "rake", "spanner", "ladder"],
    "instrument": ["piano", "guitar", "violin", "drum", "flute", "trumpet", "harp", "cello",
                   "banjo", "clarinet", "organ", "tuba"],
    "clothing": ["shirt", "jacket", "sock", "hat", "scarf", "glove", "boot", "coat", "skirt",
                 "dress", "sweater", "belt"],
    "furniture": ["chair", "table", "sofa", "bed", "desk", "shelf", "stool", "bench", "cabinet",
                  "wardrobe", "couch", "dresser"],
    "job": ["doctor", "teacher", "farmer", "baker", "pilot", "nurse", "lawyer", "painter", "chef",
            "sailor", "plumber", "dentist"],
    "sport": ["football", "tennis", "hockey", "golf", "rugby", "cricket", "baseball", "boxing",
              "swimming", "skiing", "cycling", "volleyball"],
}

# How each question names its category; every question template mentions it, so the task is
# "find the option of the category named in the question" (learnable by a tiny model in seconds).
CATEGORY_NOUNS: dict[str, tuple[str, str]] = {
    "fruit": ("a", "fruit"),
    "animal": ("an", "animal"),
    "colour": ("a", "colour"),
    "vehicle": ("a", "vehicle"),
    "tool": ("a", "tool"),
    "instrument": ("a", "musical instrument"),
    "clothing": ("a", "piece of clothing"),
    "furniture": ("a", "piece of furniture"),
    "job": ("a", "job"),
    "sport": ("a", "sport"),
}

QUESTION_TEMPLATES = [
    "Which of these is {article} {noun}?",
    "Which one is {article} {noun}?",
    "Pick the {noun} from the list.",
    "Which option names {article} {noun}?",
    "What here is {article} {noun}?",
]


def question_text(category: str, template: str) -> str:
    article, noun = CATEGORY_NOUNS[category]
    return template.format(article=article, noun=noun)


LABELS = "ABCDE"
N_TRAIN = 2000
N_HELDOUT = 200
N_DEV = 200

# --- the MLM corpus ----------------------------------------------------------------------------

SENTENCE_TEMPLATES = [
    "The {animal} sat next to the {furniture} all afternoon.",
    "My neighbour the {job} drives a {colour} {vehicle}.",
    "Every morning the {job} eats a {fruit} before work.",
    "A {colour} {clothing} was left on the {furniture}.",
    "The {job} keeps a {tool} in the back of the {vehicle}.",
    "We watched {sport} on television and shared a {fruit}.",
    "The old {instrument} in the hall needs a new coat of {colour} paint.",
    "Our {animal} is afraid of the {instrument}.",
    "She bought a {colour} {clothing} for the {sport} match.",
    "He fixed the {furniture} with a {tool} and some glue.",
    "The {vehicle} stopped because a {animal} was on the road.",
    "After {sport} practice the children ate {fruit} slices.",
    "The {job} plays the {instrument} at weekends.",
    "Please put the {tool} back on the {furniture}.",
    "A {animal} cannot ride a {vehicle}, but it can watch {sport}.",
    "The {fruit} on the {furniture} is starting to go brown.",
    "Nobody knew why the {job} wore a {clothing} to the {sport} game.",
    "The {colour} {instrument} was sold at the market.",
    "In the story, a {animal} becomes a famous {job}.",
    "The {vehicle} was painted {colour} last summer.",
]


def make_corpus(rng: random.Random, n_sentences: int = 400) -> list[str]:
    """``n_sentences`` distinct sentences from the templates, in a seeded order."""
    sentences: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < n_sentences:
        template = rng.choice(SENTENCE_TEMPLATES)
        words = {cat: rng.choice(members) for cat, members in CATEGORIES.items()}
        sentence = template.format(**words)
        if sentence not in sentences:
            sentences.add(sentence)
            ordered.append(sentence)
    return ordered


# --- the multiple-choice QA set ----------------------------------------------------------------


def make_question(rng: random.Random, index: int, split: str) -> dict:
    """One question: a category, one member of it and four distractors from four other categories."""
    category = rng.choice(sorted(CATEGORIES))
    question = question_text(category, rng.choice(QUESTION_TEMPLATES))
    answer = rng.choice(CATEGORIES[category])
    others = rng.sample([c for c in sorted(CATEGORIES) if c != category], 4)
    distractors = [rng.choice(CATEGORIES[c]) for c in others]
    slot = rng.randrange(len(LABELS))
    options = distractors[:slot] + [answer] + distractors[slot:]
    return {"id": f"{split}-{index:04d}", "question": question, "options": options,
            "answer_key": LABELS[slot]}


def make_qa(rng: random.Random) -> tuple[list[dict], list[dict], list[dict]]:
    """Disjoint train, held-out and dev splits (no (question, options) pair is in two of them).

    Drawn in that order from one generator, so adding the dev split left train and held-out as they
    were (and with them the tokenizers and the calibration of the judge's threshold).
    """
    seen: set[tuple] = set()
    splits: dict[str, list[dict]] = {"train": [], "heldout": [], "dev": []}
    for split, size in (("train", N_TRAIN), ("heldout", N_HELDOUT), ("dev", N_DEV)):
        while len(splits[split]) < size:
            example = make_question(rng, len(splits[split]), split)
            key = (example["question"], tuple(example["options"]))
            if key not in seen:
                seen.add(key)
                splits[split].append(example)
    return splits["train"], splits["heldout"], splits["dev"]


def qa_text(example: dict) -> str:
    """The prompt layout of the sheet: the question first, then ``A. opt B. opt ...``."""
    parts = [f"{label}. {option}" for label, option in zip(LABELS, example["options"])]
    return " ".join([example["question"], *parts])


# --- tokenizers --------------------------------------------------------------------------------

MLM_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
QA_SPECIALS = ["<|endoftext|>", "<|pad|>"]


def train_wordpiece(texts: list[str], out_dir: Path) -> None:
    """A whole-word WordPiece vocabulary: specials, every word seen, and all characters as fallback.

    The ``tokenizers`` WordPiece trainer breaks frequency ties in a different order on every run, so
    the vocabulary is built here directly (deterministically): words sorted by frequency then
    spelling, and each character both word-initially (``a``) and word-internally (``##a``), so any
    lower-case ASCII text tokenizes without [UNK].
    """
    normalizer = normalizers.BertNormalizer(lowercase=True)
    splitter = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in texts:
        words = splitter.pre_tokenize_str(normalizer.normalize_str(text))
        counts.update(word for word, _ in words)
    words = sorted(counts, key=lambda word: (-counts[word], word))
    chars = sorted(set(string.ascii_lowercase + string.digits + string.punctuation) | set("".join(words)))
    vocab = list(MLM_SPECIALS)
    for token in chars + ["##" + char for char in chars] + words:
        if token not in vocab:
            vocab.append(token)
    out_dir.mkdir(exist_ok=True)
    (out_dir / "vocab.txt").write_text("".join(f"{token}\n" for token in vocab), encoding="utf-8")


def train_byte_bpe(texts: list[str], out_dir: Path) -> None:
    tokenizer = ByteLevelBPETokenizer(add_prefix_space=False)
    tokenizer.train_from_iterator(texts, vocab_size=1000, min_frequency=2,
                                  special_tokens=QA_SPECIALS, show_progress=False)
    out_dir.mkdir(exist_ok=True)
    tokenizer.save_model(str(out_dir))


def check_single_token_options(bpe_dir: Path) -> None:
    tokenizer = ByteLevelBPETokenizer(str(bpe_dir / "vocab.json"), str(bpe_dir / "merges.txt"))
    for members in CATEGORIES.values():
        for word in members:
            pieces = tokenizer.encode(f" {word}").tokens
            if len(pieces) != 1:
                raise SystemExit(f"option word {word!r} is {pieces}: raise the BPE vocab size")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, sort_keys=True) + "\n" for row in rows), encoding="utf-8")


def split_names(names_data: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``(public, heldout)``, both keyed by every category in the original order, sharing no name.

    Each category's distinct names are shuffled with ``NAMES_SPLIT_SEED``; ``HELDOUT_NAMES_PER_CATEGORY``
    of them (at most half) are held out. A held-out name leaves the public file in every category (some
    names are in two), every other name stays, duplicates included.
    """
    rng = random.Random(NAMES_SPLIT_SEED)
    heldout: dict[str, list[str]] = {}
    for category, names in names_data.items():
        distinct = sorted(set(names))
        rng.shuffle(distinct)
        held = set(distinct[: min(HELDOUT_NAMES_PER_CATEGORY, len(distinct) // 2)])
        heldout[category] = [name for name in distinct if name in held]
    everywhere = {name for names in heldout.values() for name in names}
    public = {category: [name for name in names if name not in everywhere] for category, names in names_data.items()}
    return public, heldout


def write_names(original: Path) -> None:
    public, heldout = split_names(json.loads(original.read_text(encoding="utf-8")))
    (PUBLIC / "names-data.json").write_text(json.dumps(public, ensure_ascii=False), encoding="utf-8")
    (HERE / "names-heldout.json").write_text(json.dumps(heldout, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    print(f"names: {sum(map(len, public.values()))} public, {sum(map(len, heldout.values()))} held out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=Path, default=ORIGINAL_NAMES, help="the original names-data.json")
    args = parser.parse_args()
    rng = random.Random(SEED)
    corpus = make_corpus(rng)
    train, heldout, dev = make_qa(rng)
    (PUBLIC / "mlm_corpus.txt").write_text("".join(line + "\n" for line in corpus), encoding="utf-8")
    write_jsonl(PUBLIC / "qa_train.jsonl", train)
    write_jsonl(PUBLIC / "qa_dev.jsonl", dev)
    write_jsonl(HERE / "qa_heldout.jsonl", heldout)

    qa_texts = [qa_text(example) for example in train + heldout]  # as when the threshold was calibrated
    train_wordpiece(corpus + qa_texts, PUBLIC / "mlm_tokenizer")
    train_byte_bpe(corpus + qa_texts, PUBLIC / "qa_tokenizer")
    check_single_token_options(PUBLIC / "qa_tokenizer")
    print(f"corpus: {len(corpus)} sentences; QA: {len(train)} train, {len(dev)} dev, {len(heldout)} held-out")
    if args.names.is_file():
        write_names(args.names)
    else:
        print(f"names: {args.names} not found; names-data.json and names-heldout.json left as they are")


if __name__ == "__main__":
    main()
