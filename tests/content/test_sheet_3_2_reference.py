"""The Sheet 3.2 reference behaves as DESIGN §6 says, spot-checked against transformers and torch.

Training is only smoke-tested here (a few steps); the calibration of the published thresholds is
done by hand (see reference/sheet_3_2/grading.py).
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

import reference.sheet_3_2 as ref


@pytest.fixture(scope="module")
def tiny_config():
    from transformers import GPT2Config

    return GPT2Config(vocab_size=50, n_positions=32, n_embd=16, n_layer=1, n_head=2, pad_token_id=0,
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)


# --- 3.2.1.1 --------------------------------------------------------------------------------------


def test_pool_last_token_matches_gpt2_for_sequence_classification(tiny_config):
    from transformers import GPT2ForSequenceClassification

    torch.manual_seed(0)
    tiny_config.num_labels = 3
    hf = GPT2ForSequenceClassification(tiny_config).eval()
    ids = torch.tensor([
        [5, 6, 7, 0, 0],  # right padding
        [0, 0, 8, 9, 4],  # left padding
        [3, 0, 4, 0, 0],  # a pad id inside the text
        [0, 0, 0, 0, 0],  # all padding
        [1, 2, 3, 4, 5],  # no padding
    ])
    with torch.no_grad():
        hidden = hf.transformer(ids).last_hidden_state
        logits = hf.score(hidden)
        want = hf(ids).logits
    got = ref.pool_last_token(logits, ids, tiny_config.pad_token_id)
    torch.testing.assert_close(got, want)
    assert torch.equal(ref.pool_last_token(logits, ids, None), logits[:, -1])


def test_sequence_classification_head_loads_gpt2_score(tiny_config):
    from transformers import GPT2ForSequenceClassification

    tiny_config.num_labels = 4
    hf = GPT2ForSequenceClassification(tiny_config)
    head = ref.sequence_classification_head(tiny_config.n_embd, 4)
    assert [tuple(t.shape) for t in head.state_dict().values()] == [(4, tiny_config.n_embd)]
    head.load_state_dict({"weight": hf.score.weight.detach()})
    x = torch.randn(2, 3, tiny_config.n_embd)
    torch.testing.assert_close(head(x), hf.score(x))


@pytest.mark.parametrize(
    ("problem_type", "num_labels"),
    [("regression", 1), ("regression", 3), ("single_label_classification", 3),
     ("multi_label_classification", 3)],
)
def test_sequence_classification_loss_matches_hf(tiny_config, problem_type, num_labels):
    from transformers import GPT2ForSequenceClassification

    torch.manual_seed(1)
    tiny_config.num_labels = num_labels
    tiny_config.problem_type = problem_type
    hf = GPT2ForSequenceClassification(tiny_config).eval()
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 4, 3]])
    if problem_type == "single_label_classification":
        labels = torch.tensor([2, 0])
    elif problem_type == "multi_label_classification":
        labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    else:
        labels = torch.randn(2, num_labels)
    with torch.no_grad():
        out = hf(ids, labels=labels)
    got = ref.sequence_classification_loss(out.logits, labels, problem_type)
    assert got.dim() == 0
    torch.testing.assert_close(got, out.loss)


# --- 3.2.1.2 --------------------------------------------------------------------------------------


def test_fox_answer_span_is_the_lazy_dog():
    words = ["The", "quick", "brown", "fox", "jumped", "over", "the", "lazy", "brown", "dog.", "Who", "did", "the", "fox", "jump", "over?"]
    start, end = ref.FOX_ANSWER_SPAN
    assert " ".join(words[start : end + 1]) in {"the lazy brown dog.", "lazy brown dog."}


def _brute_best_span(start, end, max_len):
    best, best_score = None, -math.inf
    for s in range(len(start)):
        for e in range(s, min(len(start), s + max_len)):
            score = float(start[s]) + float(end[e])
            if score > best_score:
                best, best_score = (s, e), score
    return best


@pytest.mark.parametrize("seed", range(5))
def test_best_span_matches_brute_force(seed):
    gen = torch.Generator().manual_seed(seed)
    length = 3 + seed * 4
    start = torch.randint(-3, 4, (length,), generator=gen).double()  # integers: many exact ties
    end = torch.randint(-3, 4, (length,), generator=gen).double()
    for max_len in (1, 2, 5, 30):
        got = ref.best_span(start, end, max_len)
        assert got == _brute_best_span(start.tolist(), end.tolist(), max_len)
        assert all(type(i) is int for i in got)


def test_qa_loss_matches_gpt2_for_question_answering(tiny_config):
    from transformers import GPT2ForQuestionAnswering

    torch.manual_seed(2)
    hf = GPT2ForQuestionAnswering(tiny_config).eval()
    ids = torch.randint(1, 50, (4, 6))
    starts = torch.tensor([0, 3, 6, 9])  # 6 == T is ignored, 9 is clamped to T and ignored
    ends = torch.tensor([[2], [5], [-1], [4]])  # (B, 1); -1 is clamped to 0
    with torch.no_grad():
        out = hf(ids, start_positions=starts, end_positions=ends)
    got = ref.qa_loss(out.start_logits, out.end_logits, starts, ends)
    torch.testing.assert_close(got, out.loss)


def test_head_for_task_answers_are_accepted():
    assert set(ref.HEAD_FOR_TASK) == set(ref.ACCEPTED_HEADS)
    for task, head in ref.HEAD_FOR_TASK.items():
        assert head in ref.ACCEPTED_HEADS[task]


# --- 3.2.2 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "warmup"), [(100, 0), (100, 10), (7, 3), (1, 0)])
def test_cosine_lr_matches_transformers(total, warmup):
    from transformers import get_cosine_schedule_with_warmup

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    schedule = get_cosine_schedule_with_warmup(optimizer, warmup, total)
    for step in range(total + 1):
        want = optimizer.param_groups[0]["lr"]
        got = ref.cosine_lr(step, base_lr=0.5, total_steps=total, warmup_steps=warmup)
        assert isinstance(got, float)
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), step
        optimizer.step()
        schedule.step()
    assert ref.cosine_lr(total + 5, base_lr=0.5, total_steps=total, warmup_steps=warmup, min_lr=0.1) == 0.1


def test_make_cosine_scheduler_follows_cosine_lr():
    params = [torch.nn.Parameter(torch.zeros(2))]
    optimizer = torch.optim.Adam(params, lr=0.02)
    scheduler = ref.make_cosine_scheduler(optimizer, total_steps=12, warmup_steps=3, min_lr=0.001)
    for k in range(16):
        want = ref.cosine_lr(k, base_lr=0.02, total_steps=12, warmup_steps=3, min_lr=0.001)
        assert math.isclose(optimizer.param_groups[0]["lr"], want, rel_tol=1e-12, abs_tol=1e-15)
        optimizer.step()
        scheduler.step()


def test_train_char_rnn_smoke():
    names = {"English": ["Smith", "Jones"], "Italian": ["Rossi"]}
    _, losses, lrs = ref.train_char_rnn(names, n_iters=30, lr=0.01, seed=0)
    assert len(losses) == len(lrs) == 30
    assert all(isinstance(x, float) for x in losses + lrs)
    assert lrs == [ref.cosine_lr(k, base_lr=0.01, total_steps=30) for k in range(30)]
    assert sum(losses[-3:]) < sum(losses[:3])
    again = ref.train_char_rnn(names, n_iters=30, lr=0.01, seed=0)
    assert again[1] == losses, "training must be deterministic given the seed"
    _, _, flat = ref.train_char_rnn(names, n_iters=5, lr=0.01, seed=0, cosine=False)
    assert flat == [0.01] * 5


# --- mlm ------------------------------------------------------------------------------------------


def test_mask_tokens_rates_and_labels():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 400, (64, 128), generator=gen)
    special = torch.zeros_like(ids)
    special[:, 0] = special[:, -1] = 1
    inputs, labels = ref.mask_tokens(ids, special, mask_token_id=4, vocab_size=422, mlm_probability=0.3,
                                     generator=torch.Generator().manual_seed(1))
    assert inputs.dtype == labels.dtype == torch.int64 and inputs.shape == ids.shape
    chosen = labels != -100
    assert not chosen[special.bool()].any()
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    n = chosen.sum().item()
    assert abs(n / (~special.bool()).sum().item() - 0.3) < 0.02
    masked = (inputs[chosen] == 4).sum().item() / n
    kept = (inputs[chosen] == ids[chosen]).sum().item() / n
    assert abs(masked - 0.8) < 0.03 and abs(kept - 0.1) < 0.03
    again = ref.mask_tokens(ids, special, mask_token_id=4, vocab_size=422, mlm_probability=0.3,
                            generator=torch.Generator().manual_seed(1))
    assert torch.equal(again[0], inputs) and torch.equal(again[1], labels)


def test_tokenize_for_mlm_and_collator():
    tokenizer = ref.given.build_mlm_tokenizer()
    out = ref.tokenize_for_mlm(["The cat sat.", "word " * 100], tokenizer, max_length=12)
    assert set(out) == {"input_ids", "attention_mask"}
    assert out["input_ids"].shape == out["attention_mask"].shape == (2, 12)
    assert out["input_ids"].dtype == torch.int64
    assert torch.equal(out["attention_mask"] == 0, out["input_ids"] == tokenizer.pad_token_id)
    collator = ref.make_mlm_collator(tokenizer, 0.5)
    features = [{"input_ids": row} for row in tokenizer(["the dog sat near the table"] * 32)["input_ids"]]
    batch = collator(features)
    ids = torch.tensor([f["input_ids"] for f in features])
    chosen = batch["labels"] != -100
    assert not chosen[:, 0].any() and not chosen[:, -1].any()
    assert 0.35 < chosen[:, 1:-1].float().mean().item() < 0.65
    assert torch.equal(batch["labels"][chosen], ids[chosen])


# --- utilities ------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
def test_clip_gradients_matches_clip_grad_norm(max_norm):
    torch.manual_seed(3)
    grads = [torch.randn(3, 4), torch.randn(5)]
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    want_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped, norm = ref.clip_gradients(grads, max_norm)
    assert isinstance(norm, float) and math.isclose(norm, float(want_norm), rel_tol=1e-6)
    for got, p in zip(clipped, params):
        torch.testing.assert_close(got, p.grad)


def test_he_init_distribution():
    w = ref.he_init((400, 250), generator=torch.Generator().manual_seed(0))
    assert w.shape == (400, 250)
    assert abs(w.std().item() - math.sqrt(2 / 250)) < 0.003 and abs(w.mean().item()) < 0.003
    assert torch.equal(w, ref.he_init((400, 250), generator=torch.Generator().manual_seed(0)))


@pytest.mark.parametrize(
    ("losses", "patience", "min_delta", "want"),
    [
        ([3.0, 2.0, 2.5, 2.6, 2.7, 1.0], 3, 0.0, (4, 1)),
        ([3.0, 2.0, 1.0], 5, 0.0, (2, 2)),
        ([1.0, 1.0, 1.0], 2, 0.0, (2, 0)),  # equal is not better
        ([1.0, 0.95, 0.9, 0.85], 2, 0.1, (2, 0)),  # improvements below min_delta do not count
        ([1.0, 2.0], 0, 0.0, (0, 0)),
    ],
)
def test_early_stopping_cases(losses, patience, min_delta, want):
    assert ref.early_stopping(losses, patience, min_delta) == want


def test_search_configs():
    space = {"lr": [0.1, 0.01], "hidden": [32, 64, 128], "dropout": [0.0]}
    grid = ref.grid_search_configs(space)
    assert grid == [dict(zip(space, v)) for v in itertools.product(*space.values())]
    drawn = ref.random_search_configs(space, 50, seed=4)
    assert len(drawn) == 50 and drawn == ref.random_search_configs(space, 50, seed=4)
    assert {c["hidden"] for c in drawn} == {32, 64, 128}


# --- 3.2.3.1 --------------------------------------------------------------------------------------


def test_char_lstm_step_and_training_smoke():
    model = ref.CharLSTM(18, 60, 32)
    hidden = model.init_hidden()
    log_probs, hidden = model(torch.eye(18)[:1], torch.eye(60)[59:], hidden)
    assert log_probs.shape == (1, 60)
    torch.testing.assert_close(log_probs.exp().sum(), torch.tensor(1.0))
    names = {"English": ["Smith", "Jones"], "Italian": ["Rossi"]}
    trained, losses = ref.train_char_lstm(names, n_iters=20, lr=0.01, seed=0)
    assert len(losses) == 20 and all(isinstance(x, float) for x in losses)
    nll = ref.heldout_nll_per_char(trained, names)
    assert 0 < nll < ref.UNIFORM_NLL


def test_judge_names_are_disjoint_and_keep_the_order():
    train, heldout = ref.judge_names()
    assert list(train) == list(heldout) == list(ref.given.load_names_data())
    for category in train:
        assert not set(train[category]) & set(heldout[category])
        assert heldout[category] and train[category]


def test_uniform_model_fails_the_lstm_threshold():
    class Uniform:
        def init_hidden(self):
            return None

        def __call__(self, category, letter, hidden):
            return torch.full((1, 60), -math.log(60)), hidden

    _, heldout = ref.judge_names()
    nll = ref.heldout_nll_per_char(Uniform(), heldout)
    assert math.isclose(nll, ref.UNIFORM_NLL, rel_tol=1e-6) and nll > ref.LSTM_NLL_THRESHOLD


class CountingUnigram:
    """Next-symbol frequencies of the training names, whatever came before; counts its calls."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        counts = torch.ones(ref.given.n_letters, dtype=torch.float64)
        for name in (n for group in names.values() for n in group):
            counts += torch.bincount(ref.given.target_indices(name), minlength=ref.given.n_letters)
        self.log_probs = (counts / counts.sum()).log().reshape(1, -1)
        self.calls = 0

    def init_hidden(self):
        return None

    def __call__(self, category, letter, hidden):
        self.calls += 1
        return self.log_probs, hidden


def test_heldout_nll_stops_early_only_when_the_result_is_clear():
    train, heldout = ref.judge_names()
    symbols = sum(len(name) + 1 for names in heldout.values() for name in names)
    full_model = CountingUnigram(train)
    full = ref.heldout_nll_per_char(full_model, heldout)
    assert full_model.calls == symbols and 3.0 < full < 3.6  # a unigram model: above the threshold
    # far from both thresholds: a few rounds of one name per category decide it
    clear = CountingUnigram(train)
    early = ref.heldout_nll_per_char(clear, heldout, decide=(full - 0.8, full + 0.8))
    assert clear.calls < symbols / 2 and abs(early - full) < 0.2
    assert (early > full - 0.8, early < full + 0.8) == (True, True)
    # a threshold at the model's own value is never decisive: every name is fed, the same result
    close = CountingUnigram(train)
    assert ref.heldout_nll_per_char(close, heldout, decide=(full - 0.8, full)) == pytest.approx(full, abs=1e-9)
    assert close.calls == symbols


# --- 3.2.3.2 --------------------------------------------------------------------------------------


def test_extractive_qa_model_loads_gpt2_for_question_answering(tiny_config):
    from transformers import GPT2ForQuestionAnswering

    torch.manual_seed(5)
    hf = GPT2ForQuestionAnswering(tiny_config).eval()
    model = ref.ExtractiveQAModel(tiny_config).eval()
    model.load_state_dict(hf.state_dict(), strict=True)
    ids = torch.randint(1, 50, (2, 7))
    mask = torch.tensor([[1] * 7, [1] * 5 + [0] * 2])
    starts, ends = torch.tensor([1, 2]), torch.tensor([3, 7])
    with torch.no_grad():
        want = hf(ids, attention_mask=mask, start_positions=starts, end_positions=ends)
        got = model(ids, attention_mask=mask, start_positions=starts, end_positions=ends)
        plain = model(ids)
    assert isinstance(got, dict) and plain["loss"] is None
    torch.testing.assert_close(got["start_logits"], want.start_logits)
    torch.testing.assert_close(got["end_logits"], want.end_logits)
    torch.testing.assert_close(got["loss"], want.loss)


def test_make_extractive_example_spans_decode_to_the_answer():
    tokenizer = ref.given.build_qa_tokenizer()
    data = ref.load_judge_qa_data()
    for item in data["train"][:100] + data["heldout"] + ref.given.load_qa_data()["dev"]:
        ex = ref.make_extractive_example(item["question"], item["options"], item["answer_key"], tokenizer,
                                         max_length=ref.QA_MAX_LENGTH)
        assert ex["input_ids"].shape == ex["attention_mask"].shape == (ref.QA_MAX_LENGTH,)
        s, e = ex["start_positions"], ex["end_positions"]
        answer = item["options"]["ABCDE".index(item["answer_key"])]
        assert tokenizer.decode(ex["input_ids"][s : e + 1]).strip() == answer


def test_make_extractive_example_truncation_and_left_padding():
    tokenizer = ref.given.build_qa_tokenizer()
    question, options = "Which of these is a fruit?", ["horse", "lazy brown dog", "apple", "melon", "saw"]
    cut = ref.make_extractive_example(question, options, "E", tokenizer, max_length=8)
    assert (cut["start_positions"], cut["end_positions"]) == (8, 8)
    multi = ref.make_extractive_example(question, options, "B", tokenizer, max_length=40)
    s, e = multi["start_positions"], multi["end_positions"]
    assert e > s and tokenizer.decode(multi["input_ids"][s : e + 1]).strip() == "lazy brown dog"
    tokenizer.padding_side = "left"
    left = ref.make_extractive_example(question, options, "C", tokenizer, max_length=40)
    assert left["attention_mask"][0] == 0 and left["attention_mask"][-1] == 1
    s, e = left["start_positions"], left["end_positions"]
    assert tokenizer.decode(left["input_ids"][s : e + 1]).strip() == "apple"


def test_train_extractive_qa_smoke():
    tokenizer = ref.given.build_qa_tokenizer()
    examples = ref.build_qa_examples(ref.given.load_qa_data()["train"][:40], tokenizer)
    model, losses = ref.train_extractive_qa(examples, n_steps=3, lr=1e-3, seed=0)
    assert len(losses) == 3 and all(isinstance(x, float) and math.isfinite(x) for x in losses)
    accuracy = ref.qa_exact_match(model, examples[:10])
    assert 0.0 <= accuracy <= 1.0
