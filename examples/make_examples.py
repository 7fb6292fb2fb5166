"""Generate the demo submissions that ``make demo`` grades, from the current student notebook.

Run ``python examples/make_examples.py`` after ``autograder assign sheet_3_2``. It writes
``examples/submissions/``:

- ``complete.ipynb``: every stub cell replaced by a full solution, written as a student would
  (self-contained, no import of the reference);
- ``partial.ipynb``: 3.2.1.1, 3.2.1.3, 3.2.2 and the utilities done, the rest left as stubs, and
  one subtle bug: ``pool_last_token`` counts the non-pad tokens instead of finding the rightmost
  one, which is right for right padding only;
- ``blank.ipynb``: the notebook as released.

``complete.ipynb`` answers the written questions too (the *Your answer* cells, found by
``metadata["autograder"]["written"]``; staff grade them, so its grade stays provisional until they
do); ``partial.ipynb`` answers one of them.

Stub cells are found by ``metadata["autograder"]["stub"]``, which ``autograder assign`` sets on the
cells it expands from the master's ``:autograder: stub`` cells.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "assignments" / "sheet_3_2" / "sheet_3_2.ipynb"
OUT = ROOT / "examples" / "submissions"

SOLUTIONS: dict[str, str] = {}

SOLUTIONS["stub-3-2-1-1"] = '''
def sequence_classification_head(hidden_size, num_labels):
    """GPT-2's `score`: a linear map without bias."""
    return nn.Linear(hidden_size, num_labels, bias=False)


def pool_last_token(logits, input_ids, pad_token_id):
    batch = torch.arange(logits.shape[0])
    if pad_token_id is None:
        return logits[batch, -1]
    # index * (is a real token): the largest value is the rightmost real token (0 if none)
    positions = torch.arange(input_ids.shape[1])
    last = (positions * (input_ids != pad_token_id).long()).argmax(dim=1)
    return logits[batch, last]


def sequence_classification_loss(pooled_logits, labels, problem_type):
    num_labels = pooled_logits.shape[-1]
    if problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(pooled_logits.squeeze(), labels.squeeze().float())
        return F.mse_loss(pooled_logits, labels.float())
    if problem_type == "single_label_classification":
        return F.cross_entropy(pooled_logits.view(-1, num_labels), labels.view(-1))
    if problem_type == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(pooled_logits, labels.float())
    raise ValueError(problem_type)
'''

PARTIAL_POOL_BUG = '''
def sequence_classification_head(hidden_size, num_labels):
    return nn.Linear(hidden_size, num_labels, bias=False)


def pool_last_token(logits, input_ids, pad_token_id):
    batch = torch.arange(logits.shape[0])
    if pad_token_id is None:
        return logits[batch, -1]
    # number of real tokens - 1 = index of the last one (assumes right padding!)
    lengths = (input_ids != pad_token_id).sum(dim=1)
    return logits[batch, (lengths - 1).clamp(min=0)]


def sequence_classification_loss(pooled_logits, labels, problem_type):
    num_labels = pooled_logits.shape[-1]
    if problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(pooled_logits.squeeze(), labels.squeeze().float())
        return F.mse_loss(pooled_logits, labels.float())
    if problem_type == "single_label_classification":
        return F.cross_entropy(pooled_logits.view(-1, num_labels), labels.view(-1))
    return F.binary_cross_entropy_with_logits(pooled_logits, labels.float())
'''

SOLUTIONS["stub-3-2-1-2"] = '''
FOX_ANSWER_SPAN = (6, 9)  # "the lazy brown dog."


def best_span(start_logits, end_logits, max_answer_len=30):
    best, best_score = (0, 0), None
    n = len(start_logits)
    for s in range(n):
        for e in range(s, min(n, s + max_answer_len)):
            score = start_logits[s] + end_logits[e]
            if best_score is None or score > best_score:
                best, best_score = (s, e), score
    return best


def qa_loss(start_logits, end_logits, start_positions, end_positions):
    T = start_logits.shape[1]
    start_positions = start_positions.reshape(-1).clamp(0, T)
    end_positions = end_positions.reshape(-1).clamp(0, T)
    start_loss = F.cross_entropy(start_logits, start_positions, ignore_index=T)
    end_loss = F.cross_entropy(end_logits, end_positions, ignore_index=T)
    return (start_loss + end_loss) / 2
'''

SOLUTIONS["stub-3-2-1-3"] = '''
HEAD_FOR_TASK = {
    "pos_tagging": "GPT2ForTokenClassification",
    "sentiment_classification": "GPT2ForSequenceClassification",
    "summarization": "GPT2LMHeadModel",
    "multiple_choice_qa": "GPT2DoubleHeadsModel",
    "translation": "GPT2LMHeadModel",
}
'''

SOLUTIONS["stub-3-2-2"] = '''
def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if step >= total_steps:
        return min_lr
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    p = min(1.0, max(0.0, p))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2


def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
    base_lr = optimizer.param_groups[0]["lr"]

    def factor(step):
        lr = cosine_lr(step, base_lr=base_lr, total_steps=total_steps,
                       warmup_steps=warmup_steps, min_lr=min_lr)
        return lr / base_lr if base_lr else 0.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def name_loss(model, category_row, name):
    """Summed NLL of one name: feed SOS, c1..cn and predict c1..cn, EOS."""
    hidden = model.init_hidden()
    targets = target_indices(name)
    loss = 0
    for i, row in enumerate(input_tensors(name)):
        log_probs, hidden = model(category_row, row, hidden)
        loss = loss + F.nll_loss(log_probs, targets[i:i + 1])
    return loss


def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    cats = list(names)
    model = CharRNN(len(cats), n_letters, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_iters) if cosine else None
    losses, lrs = [], []
    for _ in range(n_iters):
        category = rng.choice([c for c in cats if names[c]])
        name = rng.choice(names[category])
        lrs.append(optimizer.param_groups[0]["lr"])
        loss = name_loss(model, category_tensor(category, cats), name)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return model, losses, lrs
'''

SOLUTIONS["stub-mlm"] = '''
def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    inputs = input_ids.clone().long()
    labels = input_ids.clone().long()
    special = special_tokens_mask.bool()
    chosen = torch.bernoulli(torch.full(inputs.shape, mlm_probability), generator=generator).bool() & ~special
    labels[~chosen] = -100
    replaced = torch.bernoulli(torch.full(inputs.shape, 0.8), generator=generator).bool() & chosen
    inputs[replaced] = mask_token_id
    randomised = torch.bernoulli(torch.full(inputs.shape, 0.5), generator=generator).bool() & chosen & ~replaced
    random_words = torch.randint(vocab_size, inputs.shape, generator=generator)
    inputs[randomised] = random_words[randomised]
    return inputs, labels


def tokenize_for_mlm(texts, tokenizer, max_length=64):
    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def make_mlm_collator(tokenizer, mlm_probability):
    from transformers import DataCollatorForLanguageModeling

    return DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm_probability=mlm_probability)
'''

SOLUTIONS["stub-utilities"] = '''
def clip_gradients(grads, max_norm):
    total_norm = math.sqrt(sum(float(g.pow(2).sum()) for g in grads))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        return [g * scale for g in grads], total_norm
    return list(grads), total_norm


def he_init(shape, *, generator=None):
    fan_out, fan_in = shape
    return torch.randn(fan_out, fan_in, generator=generator) * math.sqrt(2 / fan_in)


def early_stopping(val_losses, patience, min_delta=0.0):
    best_epoch, best = 0, val_losses[0]
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best_epoch, best = epoch, loss
        if epoch - best_epoch == patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def grid_search_configs(space):
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*space.values())]


def random_search_configs(space, n_trials, seed):
    rng = random.Random(seed)
    return [{key: rng.choice(values) for key, values in space.items()} for _ in range(n_trials)]
'''

SOLUTIONS["stub-3-2-3-1"] = '''
class CharLSTM(nn.Module):
    def __init__(self, n_categories, n_letters, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm = nn.LSTM(n_categories + n_letters, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, n_letters)

    def forward(self, category, input, hidden):
        x = torch.cat([category, input], dim=1).unsqueeze(1)  # (1, 1, features): one time step
        output, hidden = self.lstm(x, hidden)
        return F.log_softmax(self.out(output[:, 0]), dim=1), hidden

    def init_hidden(self):
        return (torch.zeros(1, 1, self.hidden_size), torch.zeros(1, 1, self.hidden_size))


def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    cats = list(names)
    model = CharLSTM(len(cats), n_letters, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(n_iters):
        category = rng.choice([c for c in cats if names[c]])
        name = rng.choice(names[category])
        hidden = model.init_hidden()
        targets = target_indices(name)
        loss = 0
        for i, row in enumerate(input_tensors(name)):
            log_probs, hidden = model(category_tensor(category, cats), row, hidden)
            loss = loss + F.nll_loss(log_probs, targets[i:i + 1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return model, losses
'''

SOLUTIONS["stub-3-2-3-2"] = '''
class ExtractiveQAModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transformer = GPT2Model(config)
        self.qa_outputs = nn.Linear(config.n_embd, 2)

    def forward(self, input_ids, attention_mask=None, start_positions=None, end_positions=None):
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.qa_outputs(hidden)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = qa_loss(start_logits, end_logits, start_positions, end_positions)
        return {"start_logits": start_logits, "end_logits": end_logits, "loss": loss}


def make_extractive_example(question, options, answer_key, tokenizer, max_length=64):
    text = question
    for label, option in zip("ABCDEFGHIJ", options):
        text += f" {label}. "
        if label == answer_key:
            answer_start, answer_end = len(text), len(text) + len(option)
        text += option
    enc = tokenizer(text, max_length=max_length, padding="max_length", truncation=True,
                    return_offsets_mapping=True, return_tensors="pt")
    tokens = [i for i, (lo, hi) in enumerate(enc["offset_mapping"][0].tolist())
              if enc["attention_mask"][0, i] and hi > lo and lo < answer_end and hi > answer_start]
    offsets = enc["offset_mapping"][0]
    if tokens and offsets[tokens[-1], 1] >= answer_end:
        start, end = tokens[0], tokens[-1]
    else:
        start = end = max_length
    return {"input_ids": enc["input_ids"][0], "attention_mask": enc["attention_mask"][0],
            "start_positions": start, "end_positions": end}


def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    torch.manual_seed(seed)
    model = ExtractiveQAModel(qa_config)
    ids = torch.stack([e["input_ids"] for e in examples])
    mask = torch.stack([e["attention_mask"] for e in examples])
    starts = torch.tensor([e["start_positions"] for e in examples])
    ends = torch.tensor([e["end_positions"] for e in examples])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = make_cosine_scheduler(optimizer, total_steps=n_steps, warmup_steps=n_steps // 10)
    losses = []
    model.train()
    for step in range(n_steps):
        batch = torch.randint(len(examples), (32,))
        loss = model(ids[batch], mask[batch], starts[batch], ends[batch])["loss"]
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    return model, losses
'''

# The written answers, as a student writes them: below the cell's "Your answer:" line, in place of
# the placeholder.
SOLUTIONS["answer-head-layer-loss"] = """
The head is a single linear layer without bias that maps a hidden state of size n_embd to one
logit per label. It reads the hidden state of the last real (non-padding) token, because GPT-2 is
causal and only that position has attended to the whole text. The loss follows problem_type: mean
squared error for regression, cross-entropy for single-label and binary cross-entropy on the
logits for multi-label classification.
"""

SOLUTIONS["answer-head-choice"] = """
Multiple-choice QA: GPT2DoubleHeadsModel scores every (question, option) pair with its
multiple-choice head at the last token of the option, and a softmax over the options picks one.
A token-classification head would label tokens, and an LM head would generate text instead of
choosing among the given options.
"""

SOLUTIONS["answer-cosine-why"] = """
The learning rate rises linearly from 0 to base_lr during warm-up, then falls along half a cosine
to min_lr at the last step: slowly at first, fastest in the middle, slowly at the end. Small steps
at the start protect the fresh model while gradients and Adam's moment estimates are unreliable;
the large rate in the middle makes progress, and the small one at the end lets the parameters settle
into a minimum instead of bouncing around it.
"""

PARTIAL = {
    "answer-head-choice": "Multiple-choice QA needs one score per option, so a head that scores sequences fits.",
    "stub-3-2-1-1": PARTIAL_POOL_BUG,
    "stub-3-2-1-3": SOLUTIONS["stub-3-2-1-3"],
    "stub-3-2-2": SOLUTIONS["stub-3-2-2"],
    "stub-utilities": SOLUTIONS["stub-utilities"],
}


def stub_ids(notebook: nbformat.NotebookNode) -> set[str]:
    """The ids of the notebook's stub cells (``metadata["autograder"]["stub"]`` names what they define)."""
    return {cell.id for cell in notebook.cells if "stub" in cell.metadata.get("autograder", {})}


def answer_ids(notebook: nbformat.NotebookNode) -> set[str]:
    """The ids of the notebook's written-answer cells (``metadata["autograder"]["written"]``)."""
    return {cell.id for cell in notebook.cells if "written" in cell.metadata.get("autograder", {})}


def fill(notebook: nbformat.NotebookNode, sources: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with the stub and answer cells named in ``sources`` replaced (an answer
    cell keeps its "Your answer:" line; the answer takes the placeholder's place)."""
    filled = copy.deepcopy(notebook)
    answers = answer_ids(filled)
    unknown = set(sources) - stub_ids(filled) - answers
    if unknown:
        raise SystemExit(f"no stub or answer cells {sorted(unknown)} in {NOTEBOOK}: rebuild the examples")
    for cell in filled.cells:
        if cell.id in sources:
            text = textwrap.dedent(sources[cell.id]).strip()
            cell.source = cell.source.split("\n", 1)[0] + "\n\n" + text if cell.id in answers else text
    return filled


def main() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    stubs = stub_ids(notebook) | answer_ids(notebook)
    if set(SOLUTIONS) != stubs:
        raise SystemExit(f"solutions {sorted(SOLUTIONS)} do not match the stub and answer cells {sorted(stubs)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, sources in (("complete", SOLUTIONS), ("partial", PARTIAL), ("blank", {})):
        path = OUT / f"{name}.ipynb"
        path.write_text(nbformat.writes(fill(notebook, sources)) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
