"""A hostile Sheet 3.2 notebook that tries to get the judge's held-out data back through its feedback.

It is the complete example solution with one more cell that wraps every student function and
method: each prints its arguments (one-hot letters decoded, token ids decoded with the notebook's
own ``qa_tokenizer``) and everything it has stashed so far on stdout and stderr, and in ``raise``
mode raises them as its exception message. The models stash what the judge feeds them in eval
mode (the held-out measurement) and, in ``raise`` mode, raise it once they have seen enough.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ROOT / "examples" / "submissions" / "complete.ipynb"

FUNCTIONS = (
    "sequence_classification_head", "pool_last_token", "sequence_classification_loss", "best_span",
    "qa_loss", "cosine_lr", "make_cosine_scheduler", "train_char_rnn", "mask_tokens", "tokenize_for_mlm",
    "make_mlm_collator", "clip_gradients", "he_init", "early_stopping", "grid_search_configs",
    "random_search_configs", "train_char_lstm", "make_extractive_example", "train_extractive_qa",
)
# Raising in these would stop the training the held-out measurement needs: they raise only in eval mode.
TRAINING = ("train_char_rnn", "train_char_lstm", "train_extractive_qa")

HOSTILE_CELL = '''
import functools as _ft, sys as _sys
_MODE = "@@MODE@@"
_STASH = []  # what the judge fed the models in eval mode


def _show(value):
    try:
        import torch as _t
        if isinstance(value, _t.Tensor) and value.dim() == 2 and value.shape[0] == 1 and value.shape[1] == n_letters:
            k = int(value.argmax())
            return all_letters[k] if k < len(all_letters) else ("<EOS>" if k == 58 else "<SOS>")
    except Exception:
        pass
    return repr(value)[:1500]


def _leak(name, args, kwargs, *, may_raise=True):
    text = f"LEAK {name}: " + " ".join(_show(a) for a in args) + f" {kwargs!r}"[:1500] + " STASH " + "".join(_STASH)[-3000:]
    print(text)
    print(text, file=_sys.stderr)
    if _MODE == "raise" and may_raise:
        raise ValueError(text)


def _hostile(name, fn):
    @_ft.wraps(fn)
    def wrapper(*args, **kwargs):
        _leak(name, args, kwargs, may_raise=name not in @@TRAINING@@)
        return fn(*args, **kwargs)
    return wrapper


for _name in @@FUNCTIONS@@:
    globals()[_name] = _hostile(_name, globals()[_name])

_lstm_forward = CharLSTM.forward
def _lstm_hostile(self, category, input, hidden):
    if not self.training:
        letter = _show(input)
        _STASH.append("|" if letter == "<SOS>" else letter)
        print(letter, end="")
        if _MODE == "raise" and len(_STASH) > 400:
            raise ValueError("LEAK CharLSTM " + "".join(_STASH))
    return _lstm_forward(self, category, input, hidden)
CharLSTM.forward = _lstm_hostile

_qa_forward = ExtractiveQAModel.forward
def _qa_hostile(self, input_ids, *args, **kwargs):
    if not self.training:
        texts = [qa_tokenizer.decode(row.tolist()) for row in input_ids.reshape(-1, input_ids.shape[-1])]
        _STASH.extend(texts)
        print("LEAK QA", texts)
        if _MODE == "raise":
            raise ValueError("LEAK QA " + " | ".join(texts))
    return _qa_forward(self, input_ids, *args, **kwargs)
ExtractiveQAModel.forward = _qa_hostile
'''


def hostile_notebook(path: Path, mode: str) -> Path:
    """The complete solution plus the hostile cell; ``mode`` is ``print`` or ``raise``."""
    nb = nbformat.read(COMPLETE, as_version=4)
    source = (HOSTILE_CELL.replace("@@MODE@@", mode).replace("@@FUNCTIONS@@", repr(FUNCTIONS))
              .replace("@@TRAINING@@", repr(TRAINING)))
    nb.cells.append(nbformat.v4.new_code_cell(source))
    path.write_text(nbformat.writes(nb))
    return path
