"""Public checks for Sheet 3.2: types, shapes and simple invariants, never the hidden suite's values.

In the notebook, run ``check("3.2.2")`` (one exercise) or ``check()`` (all). Passing these checks
means your answers have the right form; the grade comes from the hidden tests, which compare
behaviour in much more detail.

Every check is a function ``check_<something>(ns)``: ``ns`` gives the student's names as attributes
(``ns.cosine_lr``). In the notebook ``ns`` wraps the notebook's globals; in the grader it is the
sandbox proxy. So a check only reads ``ns.NAME``, calls it with data, and calls methods of what
comes back; it never relies on the type of a returned object. The runner (``check``, the statuses
pass / FAIL / to do, the table) is the course's: :mod:`autograder.student.checks`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from sheet_3_2_given import TOLERANCES, lr_tolerance

from autograder.student.checks import CheckFailed, CheckFn, NotebookNamespace, expect, make_check, needs


def _generator(ns: Any, seed: int) -> Any:
    if isinstance(ns, NotebookNamespace):
        return torch.Generator().manual_seed(seed)
    return ns.make("generator", seed=seed)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _close(got: float, want: float, kind: str) -> bool:
    """``got`` is within the grader's tolerance for ``kind`` of numbers (``TOLERANCES``, the given module)."""
    rtol, atol = TOLERANCES[kind]
    return math.isclose(got, want, rel_tol=rtol, abs_tol=atol)


def _all_close(got: Any, want: Any, kind: str) -> bool:
    """Tensors within the grader's tolerance for ``kind``, as the hidden tests compare them."""
    rtol, atol = TOLERANCES[kind]
    return torch.allclose(torch.as_tensor(got).double(), torch.as_tensor(want).double(), rtol=rtol, atol=atol)


def _lr_close(got: float, want: float, base_lr: float) -> bool:
    """A learning rate within the grader's tolerance (float32 is precise enough)."""
    rtol, atol = lr_tolerance(base_lr)
    return math.isclose(got, want, rel_tol=rtol, abs_tol=atol)


def _scalar(value: Any) -> float:
    tensor = torch.as_tensor(value).detach()
    expect(tensor.numel() == 1, f"expected a scalar, got shape {tuple(tensor.shape)}")
    return float(tensor)


# --- 3.2.1.1 ------------------------------------------------------------------------------------


@needs("sequence_classification_head")
def check_sequence_classification_head(ns: Any) -> None:
    head = ns.sequence_classification_head(16, 3)
    state = head.state_dict()
    expect(len(state) == 1, f"the head's state_dict should hold one weight, it holds {sorted(state)}")
    (weight,) = state.values()
    expect(tuple(weight.shape) == (3, 16), f"the weight should be (3, 16), not {tuple(weight.shape)}")
    out = head(torch.zeros(2, 5, 16))
    expect(tuple(out.shape) == (2, 5, 3), f"head(x) for x of shape (2, 5, 16) should be (2, 5, 3), not {tuple(out.shape)}")
    expect(torch.count_nonzero(out) == 0, "the head should have no bias: zeros should map to zeros")


@needs("pool_last_token")
def check_pool_last_token(ns: Any) -> None:
    logits = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    ids = torch.tensor([[5, 6, 0, 0], [7, 8, 9, 4]])
    pooled = ns.pool_last_token(logits, ids, 0)
    expect(tuple(pooled.shape) == (2, 3), f"pooled logits should be (batch, num_labels) = (2, 3), not {tuple(pooled.shape)}")
    expect(_all_close(pooled[0], logits[0, 1], "logits"), "row 0 ends in padding: pool its last non-pad token")
    expect(_all_close(pooled[1], logits[1, 3], "logits"), "row 1 has no padding: pool its last token")
    pooled = ns.pool_last_token(logits, ids, None)
    expect(_all_close(pooled, logits[:, -1], "logits"), "with pad_token_id=None, pool the last position of every row")


@needs("sequence_classification_loss")
def check_sequence_classification_loss(ns: Any) -> None:
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5]])
    for problem_type, labels in (
        ("single_label_classification", torch.tensor([0, 1])),
        ("multi_label_classification", torch.tensor([[1.0, 0.0], [0.0, 1.0]])),
        ("regression", torch.tensor([[1.0, 0.0], [0.0, 1.0]])),
    ):
        loss = ns.sequence_classification_loss(logits, labels, problem_type)
        value = _scalar(loss)
        expect(math.isfinite(value) and value >= 0, f"the {problem_type} loss should be a finite non-negative scalar")


# --- 3.2.1.2 ------------------------------------------------------------------------------------

FOX_WORDS = ["The", "quick", "brown", "fox", "jumped", "over", "the", "lazy", "brown", "dog.", "Who", "did", "the", "fox", "jump", "over?"]


@needs("FOX_ANSWER_SPAN")
def check_fox_answer_span(ns: Any) -> None:
    span = ns.FOX_ANSWER_SPAN
    expect(isinstance(span, (tuple, list)) and len(span) == 2 and all(_is_int(i) for i in span),
           "FOX_ANSWER_SPAN should be a pair of ints (start, end)")
    start, end = span
    expect(0 <= start <= end < len(FOX_WORDS), f"the span should lie inside the {len(FOX_WORDS)} words, start <= end")
    expect(end < FOX_WORDS.index("Who"), "the answer lies in the passage, before the question")


@needs("best_span")
def check_best_span(ns: Any) -> None:
    start = torch.tensor([0.0, 5.0, 0.0, 0.0])
    end = torch.tensor([0.0, 0.0, 0.0, 4.0])
    span = ns.best_span(start, end)
    expect(isinstance(span, (tuple, list)) and len(span) == 2 and all(_is_int(i) for i in span),
           "best_span should return a pair of Python ints")
    expect(tuple(span) == (1, 3), "with one clear start and one clear end, best_span should pick them")
    span = ns.best_span(start, end, max_answer_len=2)
    expect(span[1] - span[0] < 2 and span[0] <= span[1], "a span may hold at most max_answer_len tokens")
    expect(tuple(ns.best_span(torch.tensor([0.0, 1.0]), torch.tensor([3.0, 0.0]))) == (0, 0),
           "the end may not come before the start")


@needs("qa_loss")
def check_qa_loss(ns: Any) -> None:
    start = torch.tensor([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    end = torch.tensor([[0.0, 4.0, 0.0], [0.0, 0.0, 4.0]])
    good = _scalar(ns.qa_loss(start, end, torch.tensor([0, 1]), torch.tensor([1, 2])))
    bad = _scalar(ns.qa_loss(start, end, torch.tensor([2, 2]), torch.tensor([0, 0])))
    expect(math.isfinite(good) and good >= 0, "qa_loss should be a finite non-negative scalar")
    expect(good < bad, "the loss should be smaller when the logits point at the labelled span")
    column = _scalar(ns.qa_loss(start, end, torch.tensor([[0], [1]]), torch.tensor([[1], [2]])))
    expect(_close(column, good, "loss"), "positions of shape (B, 1) should give the same loss as (B,)")


# --- 3.2.1.3 ------------------------------------------------------------------------------------

HEAD_TASKS = ("pos_tagging", "sentiment_classification", "summarization", "multiple_choice_qa", "translation")
GPT2_HEADS = ("GPT2LMHeadModel", "GPT2DoubleHeadsModel", "GPT2ForSequenceClassification",
              "GPT2ForTokenClassification", "GPT2ForQuestionAnswering", "GPT2Model")


@needs("HEAD_FOR_TASK")
def check_head_for_task(ns: Any) -> None:
    heads = ns.HEAD_FOR_TASK
    expect(isinstance(heads, dict), "HEAD_FOR_TASK should be a dict")
    expect(set(heads) == set(HEAD_TASKS), f"HEAD_FOR_TASK's keys should be exactly {', '.join(HEAD_TASKS)}")
    for task, head in heads.items():
        expect(head in GPT2_HEADS, f"{task}: {head!r} is not a transformers GPT-2 class name ({', '.join(GPT2_HEADS)})")


# --- 3.2.2 --------------------------------------------------------------------------------------


def _close_lr(got: float, want: float, base_lr: float, what: str) -> None:
    """Within the grader's tolerance for learning rates (float32 precision), else a message that says how far."""
    if _lr_close(got, want, base_lr):
        return
    if math.isclose(got, want, rel_tol=1e-2, abs_tol=1e-3 * base_lr):
        raise CheckFailed(f"{what}: {got!r} is close to the right value but off by {abs(got - want):.2g}: a precision "
                          "problem (float32 is fine; anything coarser, such as rounding or float16, is not)")
    raise CheckFailed(f"{what}: got {got!r}")


@needs("cosine_lr")
def check_cosine_lr(ns: Any) -> None:
    lr = ns.cosine_lr
    value = lr(0, base_lr=0.1, total_steps=10)
    expect(isinstance(value, float), "cosine_lr should return a Python float")
    _close_lr(value, 0.1, 0.1, "without warm-up the schedule starts at base_lr")
    _close_lr(lr(10, base_lr=0.1, total_steps=10), 0.0, 0.1, "at total_steps the lr reaches min_lr")
    _close_lr(lr(5, base_lr=0.1, total_steps=10), 0.05, 0.1, "half-way through the cosine the lr is half-way")
    _close_lr(lr(0, base_lr=0.1, total_steps=10, warmup_steps=4), 0.0, 0.1, "warm-up starts from 0")
    _close_lr(lr(4, base_lr=0.1, total_steps=10, warmup_steps=4), 0.1, 0.1, "warm-up ends at base_lr")
    _close_lr(lr(20, base_lr=0.1, total_steps=10, min_lr=0.01), 0.01, 0.1, "after total_steps the lr stays at min_lr")
    _close_lr(lr(12, base_lr=1.0, total_steps=12, warmup_steps=12, min_lr=0.1), 0.1, 1.0,
              "from total_steps on the lr is min_lr, also when warmup_steps == total_steps")


@needs("make_cosine_scheduler")
def check_make_cosine_scheduler(ns: Any) -> None:
    if isinstance(ns, NotebookNamespace):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    else:
        optimizer = ns.make("optimizer", kind="SGD", lr=0.1, shapes=[(2,)])
    scheduler = ns.make_cosine_scheduler(optimizer, total_steps=4, warmup_steps=2)
    lrs = []
    for _ in range(5):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    expect(_lr_close(lrs[0], 0.0, 0.1), "with warm-up, the lr right after construction is 0")
    expect(_lr_close(lrs[2], 0.1, 0.1), "after the warm-up steps the lr is the optimizer's lr")
    expect(lrs[3] < lrs[2] and _lr_close(lrs[4], 0.0, 0.1), "then it decays to min_lr at total_steps")


TINY_NAMES = {"English": ["Smith", "Jones", "Brown"], "Italian": ["Rossi", "Bianchi"]}


@needs("train_char_rnn")
def check_train_char_rnn(ns: Any) -> None:
    result = ns.train_char_rnn(TINY_NAMES, n_iters=12, lr=0.01, seed=0)
    expect(isinstance(result, (tuple, list)) and len(result) == 3, "train_char_rnn should return (model, losses, lrs)")
    _, losses, lrs = result
    expect(len(losses) == 12 and len(lrs) == 12, "there should be one loss and one lr per step")
    expect(all(_is_number(x) for x in list(losses) + list(lrs)), "losses and lrs should be numbers")
    expect(_lr_close(float(lrs[0]), 0.01, 0.01), "step 0 uses the full lr (no warm-up)")
    expect(all(a >= b for a, b in itertools.pairwise(lrs)), "with cosine=True the lr never rises")
    _, _, flat = ns.train_char_rnn(TINY_NAMES, n_iters=3, lr=0.01, seed=0, cosine=False)
    expect(all(_lr_close(float(x), 0.01, 0.01) for x in flat), "with cosine=False the lr stays constant")


# --- mlm ----------------------------------------------------------------------------------------


def _mlm_batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(5, 400, (8, 64), generator=torch.Generator().manual_seed(1))
    special = torch.zeros_like(ids, dtype=torch.bool)
    ids[:, 0], ids[:, -1] = 2, 3
    special[:, 0] = special[:, -1] = True
    return ids, special


@needs("mask_tokens")
def check_mask_tokens(ns: Any) -> None:
    ids, special = _mlm_batch()
    inputs, labels = ns.mask_tokens(ids, special, mask_token_id=4, vocab_size=422, mlm_probability=0.5,
                                    generator=_generator(ns, 0))
    for name, tensor in (("inputs", inputs), ("labels", labels)):
        expect(tensor.dtype == torch.int64 and tensor.shape == ids.shape, f"{name} should be int64 shaped like input_ids")
    chosen = labels != -100
    expect(not chosen[special].any(), "special tokens must never be chosen")
    expect(torch.equal(labels[chosen], ids[chosen]), "labels hold the original id where a token was chosen")
    expect(torch.equal(inputs[~chosen], ids[~chosen]), "tokens that were not chosen stay as they were")
    rate = chosen.sum().item() / (~special).sum().item()
    expect(0.35 < rate < 0.65, f"about half of the tokens should be chosen at mlm_probability=0.5, not {rate:.0%}")
    masked = (inputs[chosen] == 4).float().mean().item()
    expect(0.6 < masked < 0.95, f"about 80% of the chosen tokens should become [MASK], not {masked:.0%}")
    again = ns.mask_tokens(ids, special, mask_token_id=4, vocab_size=422, mlm_probability=0.5,
                           generator=_generator(ns, 0))
    expect(torch.equal(again[0], inputs) and torch.equal(again[1], labels), "the same generator seed should give the same masking")


@needs("tokenize_for_mlm")
def check_tokenize_for_mlm(ns: Any) -> None:
    texts = ["The cat sat on the sofa.", "A very long sentence " * 20]
    out = ns.tokenize_for_mlm(texts, ns.mlm_tokenizer, max_length=16)
    expect(isinstance(out, dict) and {"input_ids", "attention_mask"} <= set(out),
           "tokenize_for_mlm should return a dict with input_ids and attention_mask")
    for key in ("input_ids", "attention_mask"):
        expect(torch.is_tensor(out[key]) and out[key].dtype == torch.int64 and tuple(out[key].shape) == (2, 16),
               f"{key} should be an int64 tensor of shape (len(texts), max_length) = (2, 16)")
    pad_id = ns.mlm_tokenizer.pad_token_id
    expect(torch.equal(out["attention_mask"] == 0, out["input_ids"] == pad_id), "the attention mask is 0 exactly on padding")


@needs("make_mlm_collator")
def check_make_mlm_collator(ns: Any) -> None:
    collator = ns.make_mlm_collator(ns.mlm_tokenizer, 0.3)
    ids = ns.mlm_tokenizer(["the dog sat near the table all afternoon"] * 8)["input_ids"]
    features = [{"input_ids": list(row)} for row in ids]
    batch = collator(features)
    expect({"input_ids", "labels"} <= set(batch), "the collator's batch should hold input_ids and labels")
    labels = batch["labels"]
    expect(tuple(labels.shape) == tuple(batch["input_ids"].shape), "labels should be shaped like input_ids")
    original = torch.tensor([f["input_ids"] for f in features])
    special = (original == ns.mlm_tokenizer.cls_token_id) | (original == ns.mlm_tokenizer.sep_token_id) | \
        (original == ns.mlm_tokenizer.pad_token_id)
    expect(not (labels != -100)[special].any(), "special tokens (and padding) must never be masked")


# --- utilities ----------------------------------------------------------------------------------


@needs("clip_gradients")
def check_clip_gradients(ns: Any) -> None:
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([[0.0], [4.0]])]
    clipped, norm = ns.clip_gradients(grads, 1.0)
    expect(isinstance(norm, float) and _close(norm, 5.0, "gradients"), "the returned norm is the total 2-norm before clipping")
    expect(len(clipped) == 2 and [tuple(g.shape) for g in clipped] == [(2,), (2, 1)], "one clipped gradient per input, same shapes")
    total = math.sqrt(sum(float((g.double() ** 2).sum()) for g in clipped))
    expect(total <= 1.0 or _close(total, 1.0, "gradients"), "after clipping the total norm is at most max_norm")
    same, _ = ns.clip_gradients(grads, 10.0)
    expect(all(_all_close(a, b, "gradients") for a, b in zip(same, grads)), "gradients below max_norm are unchanged")


@needs("he_init")
def check_he_init(ns: Any) -> None:
    weight = ns.he_init((300, 200), generator=_generator(ns, 0))
    expect(tuple(weight.shape) == (300, 200), "he_init((fan_out, fan_in)) should have shape (fan_out, fan_in)")
    std = float(weight.std())
    expect(abs(std - math.sqrt(2 / 200)) < 0.01, f"the standard deviation should be sqrt(2 / fan_in), not {std:.4f}")
    again = ns.he_init((300, 200), generator=_generator(ns, 0))
    expect(torch.equal(weight, again), "the same generator seed should give the same weights")


@needs("early_stopping")
def check_early_stopping(ns: Any) -> None:
    result = ns.early_stopping([3.0, 2.0, 2.5, 2.6, 2.7, 1.0], patience=3)
    expect(isinstance(result, (tuple, list)) and len(result) == 2 and all(_is_int(i) for i in result),
           "early_stopping should return (stop_epoch, best_epoch) as ints")
    expect(tuple(result) == (4, 1), "three epochs without improvement after epoch 1: stop at epoch 4")
    expect(tuple(ns.early_stopping([3.0, 2.0, 1.0], patience=5)) == (2, 2), "without a stop, return the last epoch")


@needs("grid_search_configs")
def check_grid_search_configs(ns: Any) -> None:
    configs = ns.grid_search_configs({"lr": [0.1, 0.01], "hidden": [32, 64, 128]})
    expect(isinstance(configs, list) and len(configs) == 6, "a 2 x 3 grid has 6 configurations")
    expect(all(isinstance(c, dict) and set(c) == {"lr", "hidden"} for c in configs), "each configuration is a dict of all keys")
    expect(len({tuple(sorted(c.items())) for c in configs}) == 6, "every combination appears once")


@needs("random_search_configs")
def check_random_search_configs(ns: Any) -> None:
    space = {"lr": [0.1, 0.01, 0.001], "hidden": [32, 64]}
    configs = ns.random_search_configs(space, 7, 0)
    expect(isinstance(configs, list) and len(configs) == 7, "random_search_configs should return n_trials configurations")
    expect(all(c["lr"] in space["lr"] and c["hidden"] in space["hidden"] and set(c) == set(space) for c in configs),
           "each value is drawn from its list")
    expect(ns.random_search_configs(space, 7, 0) == configs, "the same seed should give the same configurations")


# --- 3.2.3.1 ------------------------------------------------------------------------------------


@needs("CharLSTM")
def check_char_lstm(ns: Any) -> None:
    model = ns.CharLSTM(18, 60, 32)
    hidden = model.init_hidden()
    category = torch.zeros(1, 18)
    category[0, 3] = 1
    letter = torch.zeros(1, 60)
    letter[0, 59] = 1
    log_probs, hidden = model(category, letter, hidden)
    expect(tuple(log_probs.shape) == (1, 60), f"log_probs should be (1, n_letters) = (1, 60), not {tuple(log_probs.shape)}")
    expect(_close(float(log_probs.detach().double().exp().sum()), 1.0, "probability_sum"),
           "the output should be log-probabilities (exp sums to 1)")
    log_probs2, _ = model(category, letter, hidden)
    expect(tuple(log_probs2.shape) == (1, 60), "the returned state should be accepted by the next step")


@needs("train_char_lstm")
def check_train_char_lstm(ns: Any) -> None:
    result = ns.train_char_lstm(TINY_NAMES, n_iters=10, lr=0.005, seed=0)
    expect(isinstance(result, (tuple, list)) and len(result) == 2, "train_char_lstm should return (model, losses)")
    model, losses = result
    expect(len(losses) == 10 and all(_is_number(x) for x in losses), "one loss (a number) per step")
    log_probs, _ = model(torch.eye(2)[:1], torch.eye(60)[59:], model.init_hidden())
    expect(tuple(log_probs.shape) == (1, 60), "the trained model should take a category of len(names) categories")


# --- 3.2.3.2 ------------------------------------------------------------------------------------

QA_ITEM = {"question": "Which of these is a fruit?", "options": ["horse", "painter", "apple", "melon saw", "drum"],
           "answer_key": "C"}


@needs("ExtractiveQAModel")
def check_extractive_qa_model(ns: Any) -> None:
    config = ns.qa_config
    model = ns.ExtractiveQAModel(config)
    keys = set(model.state_dict())
    expect(any(k.startswith("transformer.") for k in keys), "the GPT-2 backbone should be the submodule `transformer`")
    expect({"qa_outputs.weight", "qa_outputs.bias"} <= keys, "the span head should be `qa_outputs` (a Linear with bias)")
    ids = torch.randint(2, config.vocab_size, (2, 10), generator=torch.Generator().manual_seed(0))
    out = model(ids)
    expect(isinstance(out, dict), "forward should return a plain dict")
    for key in ("start_logits", "end_logits"):
        expect(tuple(out[key].shape) == (2, 10), f"{key} should be (batch, seq_len) = (2, 10)")
    expect(out.get("loss", "missing") is None, "without positions the loss should be None")
    out = model(ids, attention_mask=torch.ones(2, 10, dtype=torch.long),
                start_positions=torch.tensor([1, 2]), end_positions=torch.tensor([3, 4]))
    expect(math.isfinite(_scalar(out["loss"])), "with positions the loss should be a finite scalar")


@needs("make_extractive_example")
def check_make_extractive_example(ns: Any) -> None:
    tokenizer = ns.qa_tokenizer
    example = ns.make_extractive_example(QA_ITEM["question"], QA_ITEM["options"], QA_ITEM["answer_key"], tokenizer,
                                         max_length=40)
    expect(isinstance(example, dict), "make_extractive_example should return a dict")
    for key in ("input_ids", "attention_mask"):
        expect(torch.is_tensor(example[key]) and tuple(example[key].shape) == (40,), f"{key} should be a 1-D tensor of length max_length")
    start, end = example["start_positions"], example["end_positions"]
    expect(_is_int(start) and _is_int(end), "start_positions and end_positions should be Python ints")
    answer = tokenizer.decode(example["input_ids"][start : end + 1].tolist()).strip()
    expect(answer == "apple", f"the tokens from start to end should decode to the answer 'apple', not {answer!r}")
    text = tokenizer.decode([i for i, m in zip(example["input_ids"].tolist(), example["attention_mask"].tolist()) if m])
    expect(text.startswith(QA_ITEM["question"]), "the question comes first (GPT-2 reads left to right)")
    cut = ns.make_extractive_example(QA_ITEM["question"], QA_ITEM["options"], "E", tokenizer, max_length=8)
    expect((cut["start_positions"], cut["end_positions"]) == (8, 8), "an answer cut off by truncation gets positions max_length")


#: mini-batch sizes train_extractive_qa must use (the notebook states it; the grader's settings need it)
QA_BATCH_RANGE = (8, 64)


class _StopProbe(Exception):
    """Raised inside the student's training loop once the probe has seen enough."""


def _probe_qa_training(ns: Any, examples: list[dict]) -> list[tuple[int, set[str], str]]:
    """Run the student's train_extractive_qa with a recording ExtractiveQAModel on the ``meta`` device.

    Notebook only: the notebook's ``ExtractiveQAModel`` is replaced for the call by a subclass whose
    forward records (batch size, devices of the tensors it was given, device of the model) and
    returns zeros. On the ``meta`` device nothing is computed, yet a batch left on the CPU while the
    model moved is visible, as on the grader's GPU.
    """
    namespace = ns._namespace
    base = namespace["ExtractiveQAModel"]
    seen: list[tuple[int, set[str], str]] = []

    class Probe(base):  # type: ignore[misc, valid-type]
        def forward(self, *args: Any, **kwargs: Any) -> dict:
            tensors = [t for t in list(args) + list(kwargs.values()) if torch.is_tensor(t)]
            param = next(self.parameters())
            seen.append((int(tensors[0].shape[0]) if tensors else 0, {t.device.type for t in tensors}, param.device.type))
            if len(seen) >= 3 or {t.device.type for t in tensors} != {param.device.type}:
                raise _StopProbe
            zeros = torch.zeros(tuple(tensors[0].shape[:2]), requires_grad=True)
            return {"start_logits": zeros, "end_logits": zeros, "loss": zeros.sum()}

    namespace["ExtractiveQAModel"] = Probe
    try:
        ns.train_extractive_qa(examples, n_steps=3, lr=1e-3, seed=0, device="meta")
    except _StopProbe:
        pass
    except Exception:  # noqa: BLE001 - e.g. model.cpu() at the end: meta tensors hold no data
        pass
    finally:
        namespace["ExtractiveQAModel"] = base
    return seen


@needs("train_extractive_qa", "make_extractive_example")
def check_train_extractive_qa(ns: Any) -> None:
    examples = [ns.make_extractive_example(QA_ITEM["question"], QA_ITEM["options"], key, ns.qa_tokenizer, max_length=32)
                for key in "ABCDE"]
    result = ns.train_extractive_qa(examples * 20, n_steps=2, lr=1e-3, seed=0)
    expect(isinstance(result, (tuple, list)) and len(result) == 2, "train_extractive_qa should return (model, losses)")
    model, losses = result
    expect(len(losses) == 2 and all(_is_number(x) for x in losses), "one loss (a number) per step")
    out = model(examples[0]["input_ids"][None], attention_mask=examples[0]["attention_mask"][None])
    expect(tuple(out["start_logits"].shape) == (1, 32), "the trained model's start_logits should be (batch, seq_len)")
    if not isinstance(ns, NotebookNamespace) or not ns.has("ExtractiveQAModel"):
        return
    seen = _probe_qa_training(ns, examples * 20)
    for batch, inputs, model_device in seen:
        expect(inputs == {model_device}, (
            f"called with device='meta', the model was on {model_device} and a batch on "
            f"{', '.join(sorted(inputs))}: move the model and every tensor of each batch to `device` "
            "(the grader trains on its GPU with device='cuda')"))
        lo, hi = QA_BATCH_RANGE
        expect(lo <= batch <= hi, (
            f"train_extractive_qa used a mini-batch of {batch} examples; use {lo} to {hi} per step (the "
            "grader's n_steps and lr are set for these: with single examples it does not learn in time)"))


def _is_number(value: Any) -> bool:
    if torch.is_tensor(value):
        return value.numel() == 1 and not value.dtype == torch.bool
    return isinstance(value, (int, float)) and not isinstance(value, bool) or type(value).__module__ == "numpy"


CHECKS: dict[str, list[CheckFn]] = {
    "3.2.1.1": [check_sequence_classification_head, check_pool_last_token, check_sequence_classification_loss],
    "3.2.1.2": [check_fox_answer_span, check_best_span, check_qa_loss],
    "3.2.1.3": [check_head_for_task],
    "3.2.2": [check_cosine_lr, check_make_cosine_scheduler, check_train_char_rnn],
    "mlm": [check_mask_tokens, check_tokenize_for_mlm, check_make_mlm_collator],
    "utilities": [check_clip_gradients, check_he_init, check_early_stopping, check_grid_search_configs,
                  check_random_search_configs],
    "3.2.3.1": [check_char_lstm, check_train_char_lstm],
    "3.2.3.2": [check_extractive_qa_model, check_make_extractive_example, check_train_extractive_qa],
}

check = make_check(CHECKS)
