"""Given code for Sheet 3.2 (not graded): data loaders, sheet 2.4's name encoding, tokenizers, a config.

Everything here is built from files shipped in ``data/`` next to this module, so nothing is
downloaded. The notebook imports these names; the grader builds its own copies from the same files
(``FACTORIES``) so that a student's changes to a tokenizer never leak into a grade.
"""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path
from typing import Any

import torch
from torch import nn

DATA_DIR = Path(__file__).resolve().parent / "data"

# --- names data and sheet 2.4's encoding -------------------------------------------------------

all_letters = string.ascii_letters + " .,;'-"
EOS_INDEX = len(all_letters)  # 58: "end of name", predicted after the last character
SOS_INDEX = len(all_letters) + 1  # 59: "start of name", the first input
n_letters = len(all_letters) + 2  # 60


def load_names_data() -> dict[str, list[str]]:
    """``{category: [name, ...]}``; the key order fixes the category indices.

    The names the grader evaluates your LSTM on are not in this file (see ``data/SOURCE.md``).
    """
    with open(DATA_DIR / "names-data.json", encoding="utf-8") as f:
        return json.load(f)


def one_hot(index: int, size: int) -> torch.Tensor:
    """A float row of shape ``(1, size)`` with a 1 at ``index``."""
    row = torch.zeros(1, size)
    row[0, index] = 1.0
    return row


def letter_index(letter: str) -> int:
    """The index of ``letter`` in ``all_letters`` (0..57)."""
    index = all_letters.find(letter)
    if index < 0:
        raise ValueError(f"{letter!r} is not in all_letters")
    return index


def category_tensor(category: str, categories: list[str]) -> torch.Tensor:
    """The category as a one-hot row ``(1, len(categories))``."""
    return one_hot(categories.index(category), len(categories))


def input_tensors(name: str) -> list[torch.Tensor]:
    """What the network reads for ``name``: SOS, c1, ..., cn as one-hot rows ``(1, n_letters)``."""
    return [one_hot(SOS_INDEX, n_letters)] + [one_hot(letter_index(c), n_letters) for c in name]


def target_indices(name: str) -> torch.Tensor:
    """What the network must predict at each step: c1, ..., cn, EOS as an int64 tensor ``(n + 1,)``."""
    return torch.tensor([letter_index(c) for c in name] + [EOS_INDEX], dtype=torch.long)


class CharRNN(nn.Module):
    """Sheet 2.4's character RNN: one step per call, conditioned on the category.

    ``forward(category, input, hidden)`` takes one-hot rows ``(1, n_categories)`` and
    ``(1, n_letters)`` and the previous hidden state ``(1, hidden_size)``, and returns the
    log-probabilities of the next symbol ``(1, n_letters)`` and the new hidden state.
    """

    def __init__(self, n_categories: int, n_letters: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        combined = n_categories + n_letters + hidden_size
        self.input_to_hidden = nn.Linear(combined, hidden_size)
        self.input_to_output = nn.Linear(combined, n_letters)
        self.output_to_output = nn.Linear(hidden_size + n_letters, n_letters)
        self.dropout = nn.Dropout(0.1)

    def forward(
        self, category: torch.Tensor, input: torch.Tensor, hidden: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        combined = torch.cat((category, input, hidden), dim=1)
        hidden = self.input_to_hidden(combined)
        output = self.input_to_output(combined)
        output = self.output_to_output(torch.cat((hidden, output), dim=1))
        output = self.dropout(output)
        return torch.log_softmax(output, dim=1), hidden

    def init_hidden(self) -> torch.Tensor:
        return torch.zeros(1, self.hidden_size)


# --- tokenizers --------------------------------------------------------------------------------

MLM_SPECIAL_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]",
                      "sep_token": "[SEP]", "mask_token": "[MASK]"}
QA_EOS = "<|endoftext|>"
QA_PAD = "<|pad|>"


@functools.lru_cache(maxsize=1)
def _mlm_backend_json() -> str:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab_lines = (DATA_DIR / "mlm_tokenizer" / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = {token: index for index, token in enumerate(vocab_lines)}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer.to_str()


@functools.lru_cache(maxsize=1)
def _qa_backend_json() -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    folder = DATA_DIR / "qa_tokenizer"
    bpe = models.BPE.from_file(str(folder / "vocab.json"), str(folder / "merges.txt"))
    tokenizer = Tokenizer(bpe)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer.to_str()


def build_mlm_tokenizer():
    """A fresh fast WordPiece tokenizer (lower-casing, ``[CLS] text [SEP]``) from ``data/mlm_tokenizer``.

    Special tokens: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4. Each call returns a new object
    (the parsed files are cached), so changing one tokenizer's settings never affects another.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_mlm_backend_json()),
        model_max_length=128,
        padding_side="right",
        **MLM_SPECIAL_TOKENS,
    )


def build_qa_tokenizer():
    """A fresh fast GPT-2-style byte-level BPE tokenizer from ``data/qa_tokenizer``.

    ``<|endoftext|>`` (id 0) is the bos, eos and unk token; a separate ``<|pad|>`` (id 1) is the
    pad token, so padding is never confused with a real end of text. Padding is on the right, it
    adds no special tokens around a text (like GPT-2), and it returns offsets
    (``return_offsets_mapping=True``). Each call returns a new object.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_qa_backend_json()),
        bos_token=QA_EOS,
        eos_token=QA_EOS,
        unk_token=QA_EOS,
        pad_token=QA_PAD,
        model_max_length=64,
        padding_side="right",
    )


def make_qa_config():
    """A tiny ``GPT2Config`` (1 layer, 2 heads, width 32, 64 positions) covering ``qa_tokenizer``.

    Dropout is off: with a model this small and a few hundred training steps it only slows learning.
    One layer is enough for the task (an option's token attends to the category the question names)
    and learns it in fewer steps than two layers of width 64, at a fraction of the cost. The MLP uses
    the exact GELU (one fused kernel) instead of GPT-2's tanh approximation, which costs a fifth
    of a training step on a CPU and computes nearly the same function.
    """
    from transformers import GPT2Config

    tokenizer = build_qa_tokenizer()
    return GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        activation_function="gelu",
    )


# --- corpora -----------------------------------------------------------------------------------


def load_mlm_corpus():
    """The small MLM corpus as a ``datasets.Dataset`` with one column, ``text``.

    Built in memory from ``data/mlm_corpus.txt`` (no cache files are written, nothing is fetched).
    """
    from datasets import Dataset

    lines = (DATA_DIR / "mlm_corpus.txt").read_text(encoding="utf-8").splitlines()
    return Dataset.from_dict({"text": [line for line in lines if line.strip()]})


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_qa_data() -> dict[str, list[dict[str, Any]]]:
    """``{"train": [...], "dev": [...]}``: multiple-choice questions in the CommonsenseQA style.

    Each item is ``{"id", "question", "options": [5 strings, labelled A-E in order],
    "answer_key": "A".."E"}``; exactly one option fits the question. Train on ``train``; measure
    yourself on ``dev``. The grader measures on its own held-out questions, which are in neither.
    """
    return {
        "train": _read_jsonl(DATA_DIR / "qa_train.jsonl"),
        "dev": _read_jsonl(DATA_DIR / "qa_dev.jsonl"),
    }


# --- how closely the grader compares numbers ------------------------------------------------

#: ``(rtol, atol)`` per kind of number: a value passes when
#: ``math.isclose(got, want, rel_tol=rtol, abs_tol=atol)`` (tensors: ``torch.allclose``, element by
#: element). The hidden tests and the public checks both read this table, so ``check()`` is never
#: stricter than the grade. For learning rates ``atol`` is a fraction of ``base_lr``
#: (:func:`lr_tolerance`): a schedule computed in Python floats, float64 or float32 is fine.
TOLERANCES: dict[str, tuple[float, float]] = {
    "lr": (1e-5, 1e-6),
    "logits": (1e-6, 1e-6),
    "loss": (1e-5, 1e-6),
    "gradients": (1e-5, 1e-7),
    "probability_sum": (0.0, 1e-4),
}


def lr_tolerance(base_lr: float) -> tuple[float, float]:
    """``(rtol, atol)`` for learning rates of a schedule that starts from ``base_lr``."""
    rtol, atol = TOLERANCES["lr"]
    return rtol, atol * abs(base_lr)


# Objects the grader may ask the sandbox to build (``student.make(name)``); each call is fresh.
FACTORIES = {
    "mlm_tokenizer": build_mlm_tokenizer,
    "qa_tokenizer": build_qa_tokenizer,
    "qa_config": make_qa_config,
    "names_data": load_names_data,
}
