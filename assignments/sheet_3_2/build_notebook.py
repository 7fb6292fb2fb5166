"""Build ``sheet_3_2.ipynb`` (the student notebook) from the cells below, reproducibly.

Run ``python assignments/sheet_3_2/build_notebook.py``. Cell ids are fixed, so an unchanged source
gives a byte-identical notebook. Stub cells carry ``metadata["sheet_3_2"]["stub"]`` with the names
they define; ``examples/make_examples.py`` replaces exactly those cells to make demo submissions.

Every number the notebook states about grading (points, thresholds, settings, time limits) is
filled in here from its one source: ``course_config.py`` (points, the per-call time limit) and
``reference/sheet_3_2/grading.py`` (settings, thresholds, the training tests' time limits). This is a
staff script: it imports both, so run it from a full checkout; ``tests/content`` checks that the
committed notebook is what it builds and that the notebook states what the grader uses.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NOTEBOOK = HERE / "sheet_3_2.ipynb"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course_config import config as _course  # noqa: E402 - staff script, run from the checkout
from reference.sheet_3_2 import grading as _grading  # noqa: E402

# Published grading settings: the grader's own values.
LSTM_SETTINGS = dict(_grading.LSTM_SETTINGS)
LSTM_NLL_THRESHOLD = _grading.LSTM_NLL_THRESHOLD
QA_SETTINGS = dict(_grading.QA_SETTINGS)
QA_MAX_LENGTH = _grading.QA_MAX_LENGTH
QA_ACCURACY_THRESHOLD = _grading.QA_ACCURACY_THRESHOLD
QA_BATCH_RANGE = _grading.QA_BATCH_RANGE
POINTS = dict(_course.sheet("sheet_3_2").points)
CALL_TIMEOUT_S = _course.limits.test_timeout_s
CELL_TIMEOUT_S = _course.limits.cell_timeout_s
LSTM_TRAINING_TIMEOUT = _grading.LSTM_TRAINING_TIMEOUT
QA_TRAINING_TIMEOUT = _grading.QA_TRAINING_TIMEOUT

Cell = nbformat.NotebookNode


PLACEHOLDERS = {
    "@N_ITERS@": LSTM_SETTINGS["n_iters"],
    "@LSTM_LR@": LSTM_SETTINGS["lr"],
    "@LSTM_THRESHOLD@": LSTM_NLL_THRESHOLD,
    "@N_STEPS@": QA_SETTINGS["n_steps"],
    "@QA_LR@": QA_SETTINGS["lr"],
    "@MAX_LENGTH@": QA_MAX_LENGTH,
    "@QA_THRESHOLD@": f"{QA_ACCURACY_THRESHOLD:.0%}",
    "@BATCH_MIN@": QA_BATCH_RANGE[0],
    "@BATCH_MAX@": QA_BATCH_RANGE[1],
    "@CALL_TIMEOUT@": f"{CALL_TIMEOUT_S:g}",
    "@CELL_TIMEOUT@": f"{CELL_TIMEOUT_S:g}",
    "@LSTM_TIMEOUT@": LSTM_TRAINING_TIMEOUT,
    "@QA_TIMEOUT@": QA_TRAINING_TIMEOUT,
    "@POINTS_LIST@": ", ".join(f"{ex} ({pts:g})" for ex, pts in POINTS.items()),
    "@POINTS_TOTAL@": f"{sum(POINTS.values()):g}",
    **{f"@POINTS {ex}@": f"{pts:g} points" for ex, pts in POINTS.items()},
}


def fill(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, str(value))
    return text


def md(cell_id: str, text: str) -> Cell:
    cell = nbformat.v4.new_markdown_cell(fill(textwrap.dedent(text).strip()))
    cell.id = cell_id
    return cell


def code(cell_id: str, source: str, stub: tuple[str, ...] = ()) -> Cell:
    """A code cell; ``@NAME@`` placeholders (the grading settings) are filled in from PLACEHOLDERS."""
    cell = nbformat.v4.new_code_cell(fill(textwrap.dedent(source).strip()))
    cell.id = cell_id
    if stub:
        cell.metadata["sheet_3_2"] = {"stub": list(stub)}
    return cell


def check_cell(exercise: str) -> Cell:
    return code(f"check-{exercise.replace('.', '-')}", f'check("{exercise}")')


INTRO = [
    md("intro", """
    # Sheet 3.2: Transformer configurations & training utilities

    This sheet looks inside the models that `transformers` builds for you. You will rebuild a few
    of GPT-2's task heads by hand, decode answer spans for extractive question answering, write the
    learning-rate schedule and other small utilities that every training loop relies on, prepare
    data for masked language modelling, and finally train two small models: an LSTM that invents
    names and a tiny GPT-2 that answers multiple-choice questions by pointing at the right option.

    **How this sheet is graded.** Each exercise asks you to define some names (functions, classes
    or constants). A cell that defines them starts as a *stub*: functions raise
    `NotImplementedError` and constants are `None`. Replace the stubs with your solution, keeping
    each name and signature exactly as given. You may add helper functions and cells anywhere; a
    later definition of a name replaces an earlier one, as usual in Jupyter.

    - `check("<exercise>")` (after each part) runs quick **public checks**: types, shapes and a few
      simple properties. They tell you whether your answer has the right form, not whether it is
      correct.
    - The grade comes from **hidden tests** that run your notebook in a separate, isolated process
      and compare the behaviour of your definitions with a reference solution, on many inputs.
      For the two training exercises the grader trains *your* model with the settings written in
      the exercise and measures it on held-out data itself.
    - Points: @POINTS_LIST@; @POINTS_TOTAL@ in total. Each exercise's heading repeats its points.
    - Time limits: the grader runs each of your cells within @CELL_TIMEOUT@ s, and each call it makes
      to your code within @CALL_TIMEOUT@ s, except the two training calls: `train_char_lstm`
      @LSTM_TIMEOUT@ s and `train_extractive_qa` @QA_TIMEOUT@ s. A call that runs longer fails its tests.
    - Do not call long-running code at the top level of a cell you submit; training runs belong
      inside functions (the grader calls them). Everything here runs on a laptop CPU in seconds.
    - Nothing is downloaded: the tokenizers, the tiny GPT-2 configuration and all data are built
      from files shipped next to this notebook (`data/`).
    """),
    code("setup", """
    import itertools
    import math
    import random

    import torch
    import torch.nn.functional as F
    from torch import nn
    from transformers import GPT2Config, GPT2Model

    from public_checks import check
    from sheet_3_2_given import (
        EOS_INDEX,
        SOS_INDEX,
        CharRNN,
        all_letters,
        build_mlm_tokenizer,
        build_qa_tokenizer,
        category_tensor,
        input_tensors,
        letter_index,
        load_mlm_corpus,
        load_names_data,
        load_qa_data,
        make_qa_config,
        n_letters,
        one_hot,
        target_indices,
    )

    torch.manual_seed(0)
    """),
    md("given-intro", """
    ## Given code

    The cells in this section are given; run them, read them, but you do not need to change them.

    **Names.** `names_data` maps each of 18 languages to a list of surnames. As in sheet 2.4, a
    name is written with the 58 characters of `all_letters` plus two extra symbols: *start of
    name* (SOS, index 59), fed as the first input, and *end of name* (EOS, index 58), the last
    target. The network reads SOS, c1, ..., cn and must predict c1, ..., cn, EOS, one symbol per
    step, each input a one-hot row of shape `(1, n_letters)` with `n_letters = 60`, together with
    the language as a one-hot row of shape `(1, n_categories)`.
    """),
    code("given-names", """
    names_data = load_names_data()
    categories = list(names_data)  # the key order fixes the category indices
    n_categories = len(categories)

    print(n_categories, "categories,", sum(map(len, names_data.values())), "names")
    print("example:", categories[0], names_data[categories[0]][:5])
    print("inputs for 'Abl':", [row.argmax().item() for row in input_tensors("Abl")],
          "targets:", target_indices("Abl").tolist())
    """),
    md("given-rnn", """
    `CharRNN` has the layout of sheet 2.4's recurrent network (`i2h`, `i2o`, `o2o`, dropout), with
    one difference: sheet 2.4 applies a ReLU before `o2o`, this one has no nonlinearity at all, so
    its hidden state is a linear function of the past and can grow from step to step. It is called
    once per character:
    `log_probs, hidden = rnn(category_row, letter_row, hidden)`, starting from
    `hidden = rnn.init_hidden()`. You will train it with a cosine schedule in 3.2.2 and replace it
    with an LSTM in 3.2.3.1.
    """),
    code("given-charrnn", """
    rnn = CharRNN(n_categories, n_letters, hidden_size=128)
    hidden = rnn.init_hidden()
    log_probs, hidden = rnn(category_tensor("German", categories), one_hot(SOS_INDEX, n_letters), hidden)
    print(log_probs.shape, hidden.shape)
    """),
    md("given-tokenizers", """
    **Tokenizers and a tiny GPT-2.** `mlm_tokenizer` is a lower-casing WordPiece tokenizer with the
    BERT special tokens `[PAD] [UNK] [CLS] [SEP] [MASK]`; it wraps every text as
    `[CLS] ... [SEP]`. `qa_tokenizer` is a GPT-2-style byte-level BPE tokenizer: it adds nothing
    around a text, pads on the right with its own `<|pad|>` token (GPT-2 itself has no padding
    token) and, being a *fast* tokenizer, can report for each token which characters it came from
    (`return_offsets_mapping=True`). `qa_config` describes a GPT-2 with 2 layers, 2 heads and
    64-dimensional states, small enough to train on a CPU in seconds. All three are built from
    files in `data/`.
    """),
    code("given-tokenizer-objects", """
    mlm_tokenizer = build_mlm_tokenizer()
    qa_tokenizer = build_qa_tokenizer()
    qa_config = make_qa_config()

    print(mlm_tokenizer.tokenize("The cat sat on the sofa."), mlm_tokenizer.mask_token_id)
    encoded = qa_tokenizer("Which of these is a fruit? A. apple", return_offsets_mapping=True)
    print(qa_tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
    print(encoded["offset_mapping"])
    print(qa_config.n_layer, qa_config.n_head, qa_config.n_embd, qa_config.vocab_size)
    """),
    md("given-corpora", """
    **Corpora.** `mlm_corpus` is a small `datasets.Dataset` of short English sentences; below it is
    tokenized in batches with `.map(batched=True)`, the usual way to prepare a data set for
    training. `qa_data` holds multiple-choice questions in the style of CommonsenseQA: a question,
    five options labelled A to E, and the key of the right one. `qa_data["train"]` is for training,
    `qa_data["dev"]` for measuring yourself; the grader measures on held-out questions of its own,
    which are in neither.
    """),
    code("given-corpora-code", """
    mlm_corpus = load_mlm_corpus()
    mlm_tokenized = mlm_corpus.map(
        lambda batch: mlm_tokenizer(batch["text"], truncation=True, max_length=64),
        batched=True,
        remove_columns=["text"],
    )
    print(mlm_corpus, mlm_corpus[0]["text"])
    print(mlm_tokenized[0]["input_ids"])

    qa_data = load_qa_data()
    print(len(qa_data["train"]), "training and", len(qa_data["dev"]), "dev questions")
    print(qa_data["train"][0])
    """),
]

PART_1 = [
    md("heads-intro", """
    ## 3.2.1 Backbones and heads

    A pretrained transformer is a **backbone**: it turns a sequence of token ids into a sequence of
    hidden states, one vector of size `n_embd` per position (`GPT2Model` returns them as
    `last_hidden_state`, shape `(batch, seq_len, n_embd)`). What the model is *for* is decided by a
    small **head** on top. `transformers` packages backbone and head together under names like
    `GPT2LMHeadModel` (a linear map from each hidden state to vocabulary logits: next-token
    prediction), `GPT2ForTokenClassification` (one label per position),
    `GPT2ForSequenceClassification` (one label per sequence) and `GPT2ForQuestionAnswering`
    (a start and an end score per position). The heads are tiny; fine-tuning for a new task
    usually means training a fresh head (and perhaps the backbone) on labelled data.

    ### 3.2.1.1 Sequence classification (@POINTS 3.2.1.1@)

    To give one label to a whole sequence, GPT-2 applies a bias-free linear map `score` (weight of
    shape `(num_labels, n_embd)`) to *every* position and then keeps the logits of one position
    per row. Which one? GPT-2 is causal: a hidden state only summarises the tokens up to and
    including its position, so only the **last real token** has seen the whole text. In a padded
    batch that position differs between rows. `GPT2ForSequenceClassification` finds it as the
    rightmost position whose id is not the padding id (this works for left and for right
    padding); a row made only of padding pools position 0. Without a padding id
    (`config.pad_token_id` None) `GPT2ForSequenceClassification` refuses batches of more than one
    row (it raises an error: it cannot tell padding from text) and pools the last position of a
    single row. Your `pool_last_token` pools the last position of every row when `pad_token_id` is
    None, which is what the model does one row at a time.

    The loss depends on the `problem_type` of the configuration: `"regression"` uses the mean
    squared error (when there is a single label both the logits and the labels are squeezed to
    shape `(batch,)` first); `"single_label_classification"` the cross-entropy with int64 class
    labels; `"multi_label_classification"` a binary cross-entropy on the logits (sigmoid inside)
    with float 0/1 labels, one per class.
    """),
    code("stub-3-2-1-1", '''
    def sequence_classification_head(hidden_size, num_labels):
        """Return GPT-2's sequence classification head: a single bias-free linear map.

        Its state_dict holds exactly one tensor, a weight of shape (num_labels, hidden_size), so
        that GPT2ForSequenceClassification's `score.weight` can be loaded into it and gives the
        same logits.
        """
        raise NotImplementedError


    def pool_last_token(logits, input_ids, pad_token_id):
        """Pool per-position logits (B, T, num_labels) to (B, num_labels) as GPT-2 does.

        Row b keeps logits[b, i_b], where i_b is the rightmost position whose id in input_ids
        (B, T) is not pad_token_id (pad ids may also appear inside the text); a row that is all
        padding keeps position 0; if pad_token_id is None every row keeps its last position.
        """
        raise NotImplementedError


    def sequence_classification_loss(pooled_logits, labels, problem_type):
        """Return GPT2ForSequenceClassification's loss (a scalar tensor) for problem_type.

        "regression": MSE (squeeze both sides when there is one label);
        "single_label_classification": cross-entropy with int64 labels (B,);
        "multi_label_classification": BCE with logits, float labels (B, num_labels).
        """
        raise NotImplementedError
    ''', stub=("sequence_classification_head", "pool_last_token", "sequence_classification_loss")),
    check_cell("3.2.1.1"),
    md("qa-intro", """
    ### 3.2.1.2 Extractive question answering (@POINTS 3.2.1.2@)

    In *extractive* QA the answer is a piece of the input itself. The head maps each hidden state
    to two numbers, a **start logit** and an **end logit**; the predicted answer is the span
    `(s, e)` with the highest `start_logits[s] + end_logits[e]`, subject to `s <= e` and a
    maximum answer length (`e < s + max_answer_len`). Summing the two logits treats the start
    and the end as independent choices whose log-probabilities add up. When several spans score
    the same, we take the one with the smallest start, then the smallest end.

    Training uses two classification problems over positions: a cross-entropy for the start
    (the correct class is the labelled start position) and one for the end, averaged. When an
    answer was cut off by truncation its label is set to an index that does not exist in the
    sequence; `GPT2ForQuestionAnswering` clamps all positions into `[0, T]` and ignores the
    index `T` (`T` the sequence length) in both cross-entropies.

    First a warm-up by hand: in the word list
    `"The quick brown fox jumped over the lazy brown dog. Who did the fox jump over?".split()`,
    which inclusive span of word indices answers the question? Indices count from 0, as in Python
    (`"The"` is word 0).
    """),
    code("stub-3-2-1-2", '''
    # (start, end), inclusive word indices (from 0) into the split sentence above
    FOX_ANSWER_SPAN = None


    def best_span(start_logits, end_logits, max_answer_len=30):
        """Return (s, e) maximising start_logits[s] + end_logits[e] over s <= e < s + max_answer_len.

        start_logits and end_logits are 1-D tensors of the same length. Ties go to the smallest s,
        then the smallest e. Return a tuple of two Python ints.
        """
        raise NotImplementedError


    def qa_loss(start_logits, end_logits, start_positions, end_positions):
        """Return GPT2ForQuestionAnswering's loss (a scalar tensor).

        Logits are (B, T); positions are int64 of shape (B,) or (B, 1). Clamp positions to [0, T],
        ignore the index T, and average the start and end cross-entropies.
        """
        raise NotImplementedError
    ''', stub=("FOX_ANSWER_SPAN", "best_span", "qa_loss")),
    check_cell("3.2.1.2"),
    md("choose-head", """
    ### 3.2.1.3 Choosing a head (@POINTS 3.2.1.3@)

    For each task below, which GPT-2 class from `transformers` would you fine-tune? Answer with the
    class name as a string (`"GPT2LMHeadModel"`, `"GPT2DoubleHeadsModel"`,
    `"GPT2ForSequenceClassification"`, `"GPT2ForTokenClassification"`,
    `"GPT2ForQuestionAnswering"`). Think about the *shape* of the output each task needs: one
    label per token, one label per text, or new text generated token by token. For multiple-choice
    questions, remember that a model can score each (question, option) pair and pick the best.

    `GPT2DoubleHeadsModel` carries two heads on one GPT-2: the language-modelling head and a
    multiple-choice head that reads the hidden state at one chosen token (`mc_token_ids`, usually
    the last token of each choice) and gives one score per choice; its inputs have shape
    `(batch, n_choices, seq_len)`, one row per (question, option) pair.
    """),
    code("stub-3-2-1-3", '''
    # keys: "pos_tagging", "sentiment_classification", "summarization", "multiple_choice_qa", "translation"
    HEAD_FOR_TASK = None
    ''', stub=("HEAD_FOR_TASK",)),
    check_cell("3.2.1.3"),
]

PART_2 = [
    md("cosine-intro", """
    ## 3.2.2 Cosine learning-rate schedules with warm-up (@POINTS 3.2.2@)

    A constant learning rate is rarely best. Early in training, gradients of a freshly initialised
    model are large and noisy, and optimisers like Adam have not yet collected reliable moment
    estimates, so big steps can throw the model somewhere bad: a **warm-up** raises the learning
    rate linearly from 0 to its peak `base_lr` over the first `warmup_steps` steps. Late in
    training, small steps let the parameters settle into a minimum instead of bouncing around it:
    a **cosine decay** lowers the rate from `base_lr` to `min_lr` along half a cosine wave, slowly
    at first, fastest in the middle and slowly again at the end.

    With `p = (step - warmup_steps) / max(1, total_steps - warmup_steps)`, clamped to `[0, 1]`:

    - `lr = min_lr` from `total_steps` on (this comes first: also when `warmup_steps == total_steps`),
    - `lr = base_lr * step / warmup_steps` while `step < warmup_steps`,
    - `lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * p)) / 2` in between.

    With `min_lr = 0` this is what transformers' `get_cosine_schedule_with_warmup` computes before
    `total_steps` (from there on theirs rises again, and at `warmup_steps == total_steps` it gives
    `base_lr` at `total_steps`; ours stays at `min_lr`). The grader compares learning rates to a
    relative precision of 1e-5, so computing them in Python floats, float64 or float32 is fine.

    PyTorch has this schedule built in, too: `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
    T_max, eta_min)` follows the same half cosine from the optimizer's lr down to `eta_min` over
    `T_max` steps, without warm-up (combine it with a `LinearLR` warm-up in `SequentialLR`). Past
    `T_max` it does not stay at `eta_min`: the cosine continues and the rate rises again, so set
    `T_max` to the total number of steps. Any scheduler is fine here as long as the optimizer's lr
    follows `cosine_lr`.

    In PyTorch a schedule is applied by a **scheduler** object wrapped around an optimizer: each
    call of `scheduler.step()` (once after each `optimizer.step()`) moves it one step on and
    writes the new rate into `optimizer.param_groups[i]["lr"]`. `torch.optim.lr_scheduler.LambdaLR`
    does this with any function of the step count, multiplied with the learning rate the optimizer
    was created with.

    Then use your scheduler to train sheet 2.4's `CharRNN`. The loop is sheet 2.4's: at each step
    pick a random category and a random name of it, feed SOS, c1, ..., cn one step at a time,
    sum the negative log-likelihoods of c1, ..., cn, EOS, and take one Adam step, followed by one
    scheduler step.
    """),
    code("stub-3-2-2", '''
    def cosine_lr(step, *, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
        """Return the learning rate (a Python float) at `step`: linear warm-up, then half a cosine.

        min_lr when step >= total_steps; else base_lr * step / warmup_steps while
        step < warmup_steps; else min_lr + (base_lr - min_lr) * (1 + cos(pi * p)) / 2 with
        p = (step - warmup_steps) / max(1, total_steps - warmup_steps).
        """
        raise NotImplementedError


    def make_cosine_scheduler(optimizer, *, total_steps, warmup_steps=0, min_lr=0.0):
        """Return a torch LR scheduler for `optimizer` following cosine_lr.

        Right after construction the optimizer's lr is cosine_lr(0, base_lr=<the lr the optimizer
        was created with>, ...); after k calls of scheduler.step() it is cosine_lr(k, ...).
        """
        raise NotImplementedError


    def train_char_rnn(names, *, n_iters, lr, seed, cosine=True, device="cpu"):
        """Train a CharRNN on `names` ({category: [name, ...]}) sheet-2.4 style; return (model, losses, lrs).

        One random name per step, NLL summed over the name, Adam with learning rate lr; when
        cosine is True a cosine scheduler (no warm-up, total_steps=n_iters) is stepped after each
        optimizer step. losses[k] and lrs[k] are floats for step k, with
        lrs[k] == cosine_lr(k, base_lr=lr, total_steps=n_iters) (or lr when cosine is False).
        Seed everything from `seed` so that a call is reproducible.
        """
        raise NotImplementedError
    ''', stub=("cosine_lr", "make_cosine_scheduler", "train_char_rnn")),
    md("cosine-try", """
    Once your functions work you can look at the schedule and at a short training run, for example:

    ```python
    import matplotlib.pyplot as plt
    plt.plot([cosine_lr(t, base_lr=1e-3, total_steps=100, warmup_steps=10) for t in range(120)])
    model, losses, lrs = train_char_rnn(names_data, n_iters=1000, lr=0.005, seed=0)
    ```
    """),
    check_cell("3.2.2"),
]

PART_MLM = [
    md("mlm-intro", """
    ## MLM: masking for masked language modelling (@POINTS mlm@)

    Two different things are called a "mask" in transformer code, and it pays to keep them apart.

    - The **attention mask** (`attention_mask`, 1 for real tokens, 0 for padding) tells the model
      which positions it may attend to. It only hides *padding*, so that a batch of texts of
      different lengths can be stored as one rectangular tensor. It does not change the task.
    - **MLM masking** changes the task: a BERT-style model is trained to recover tokens that were
      hidden from it. Each ordinary (non-special) token is chosen independently with probability
      `mlm_probability` (15% in BERT). Of the chosen tokens, 80% are replaced by `[MASK]`, 10% by a
      random token id drawn uniformly from the whole vocabulary (which may by chance be the
      original), and 10% are left unchanged. The labels hold the original id at the chosen
      positions and `-100` (the index PyTorch's cross-entropy ignores) everywhere else, so the
      loss is computed only where the model had to guess. The random and the unchanged 10% matter
      because `[MASK]` never occurs at inference time: the model must produce a good
      representation for every token, not only for the masked ones. Special tokens such as
      `[CLS]`, `[SEP]` and `[PAD]` are never chosen.

    In practice the masking is done on the fly, batch by batch, by a **data collator**; in
    `transformers` that is `DataCollatorForLanguageModeling`, which pads a list of examples into a
    batch and masks it. Use `torch.rand(..., generator=generator)` (or `torch.bernoulli`) and
    `torch.randint(..., generator=generator)` so that the masking is reproducible from a seeded
    `torch.Generator`.
    """),
    code("stub-mlm", '''
    def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                    generator=None):
        """Apply BERT's 80/10/10 masking; return (inputs, labels), int64 tensors shaped like input_ids.

        special_tokens_mask (bool or 0/1) marks positions that are never chosen. Each other position
        is chosen independently with mlm_probability; of the chosen, 80% become mask_token_id, 10%
        a uniformly random id in [0, vocab_size), 10% stay. labels hold the original id where chosen
        and -100 elsewhere. Use `generator` for all randomness: the same seed gives the same output.
        """
        raise NotImplementedError


    def tokenize_for_mlm(texts, tokenizer, max_length=64):
        """Tokenize a list of texts to a plain dict of int64 tensors input_ids and attention_mask.

        Both of shape (len(texts), max_length): padded to max_length and truncated; the attention
        mask is 0 exactly on padding.
        """
        raise NotImplementedError


    def make_mlm_collator(tokenizer, mlm_probability):
        """Return a collator that pads a list of examples and masks them for MLM at mlm_probability.

        It returns a batch with input_ids and labels and never masks special tokens
        (transformers has one ready-made).
        """
        raise NotImplementedError
    ''', stub=("mask_tokens", "tokenize_for_mlm", "make_mlm_collator")),
    md("mlm-try", """
    Once your collator works, look at one masked batch of the tokenized corpus `mlm_tokenized`
    (built in the given code), as the model would see it in training:

    ```python
    collator = make_mlm_collator(mlm_tokenizer, mlm_probability=0.15)
    batch = collator([mlm_tokenized[i] for i in range(4)])
    for ids, labels in zip(batch["input_ids"], batch["labels"]):
        print(mlm_tokenizer.decode(ids))
        print("  to predict:", mlm_tokenizer.convert_ids_to_tokens([int(t) for t in labels if t != -100]))
    ```
    """),
    check_cell("mlm"),
]

PART_UTILITIES = [
    md("utilities-intro", """
    ## Utilities: the small tools of every training loop (@POINTS utilities@)

    **Gradient clipping.** A single unlucky batch (or an exploding recurrence in an RNN) can
    produce a huge gradient and undo much of what was learned. Clipping by the *global norm*
    treats all gradients as one long vector: if its 2-norm `n` exceeds `max_norm`, every
    gradient is multiplied by `max_norm / (n + 1e-6)`, which keeps the direction and shrinks the
    length; otherwise nothing changes. This is what `torch.nn.utils.clip_grad_norm_` does (it
    returns `n`, the norm before clipping, which is worth logging). Clipping *by value*,
    `torch.nn.utils.clip_grad_value_(parameters, clip_value)`, instead cuts every single gradient
    entry to `[-clip_value, clip_value]`: simpler, but it changes the direction of the gradient
    whenever some entries are cut and others are not. The given `CharRNN` blows up in exactly this
    way: trained as in exercise 3.2.2 with a constant learning rate of 0.005 and no clipping, its
    loss per name averages about 20 for the first thousand or so steps and then jumps to 10^5 and
    beyond (measured for seeds 0 and 1, between steps 1200 and 1600), while the same run with the
    cosine schedule keeps falling, to about 18 after 4000 steps. A schedule that lowers the rate and
    clipping are the usual remedies; the example run in 3.2.2 (1000 steps, cosine) stays clear of it.

    **He initialisation.** If the weights of a layer are too large, activations grow from layer
    to layer; if too small, they vanish. For a linear layer followed by a ReLU, which zeroes about
    half of its inputs, He et al. (2015) showed that drawing weights from N(0, 2 / fan_in), where
    fan_in is the number of inputs of the layer, keeps the variance of the activations roughly
    constant through the network. A PyTorch weight has shape `(fan_out, fan_in)`. Compare the
    other choices: initialising every weight to **zero** makes all units of a layer compute the
    same thing and receive the same gradient, so they stay identical forever (the symmetry is
    never broken, and with ReLUs nothing flows at all); **random** values of a fixed scale (say
    N(0, 1)) break the symmetry but let the activations explode or vanish with depth unless the
    scale matches the layer's fan-in, which is what He (and, for tanh, Xavier/Glorot)
    initialisation does.

    **Over-fitting and early stopping.** With enough capacity a model eventually memorises its
    training set: the training loss keeps falling while the loss on held-out validation data
    turns upwards. Early stopping watches the validation loss after every epoch, remembers the
    best epoch, and stops once `patience` epochs in a row have brought no improvement (an epoch
    only counts as better if its loss is lower than the best so far by more than `min_delta`).
    One then keeps the parameters of the best epoch. Epochs are counted from 0; epoch 0 sets the
    first best; training stops at the first epoch `e` with `e - best_epoch == patience`; if that
    never happens, training ran to the last epoch. Plotting both curves shows it best: for example
    `plt.plot(train_losses, label="train"); plt.plot(val_losses, label="validation");
    plt.axvline(best_epoch, ls="--", label="best epoch (kept)"); plt.axvline(stop_epoch, ls=":",
    label="stopped")` with the two epochs from your `early_stopping`.

    **Grid versus random search.** Hyper-parameters (learning rate, hidden size, dropout, ...)
    are chosen by trying configurations and comparing validation losses. *Grid search* tries every
    combination of a few values per hyper-parameter; its cost multiplies with each new
    hyper-parameter. *Random search* draws each value independently for a fixed number of trials.
    When only a few hyper-parameters really matter, random search tries many more distinct values
    of those than a grid of the same cost (Bergstra and Bengio, 2012). **Bayesian optimisation**
    goes one step further: it fits a cheap model of "validation loss as a function of the
    hyper-parameters" (a Gaussian process, or the tree-structured Parzen estimator of libraries
    such as Optuna) to the trials so far and picks the next trial where that model expects an
    improvement, so later trials concentrate on promising regions instead of being drawn blindly.
    """),
    code("stub-utilities", '''
    def clip_gradients(grads, max_norm):
        """Clip a list of gradient tensors by their global 2-norm; return (clipped_grads, total_norm).

        total_norm (a Python float) is the norm before clipping. Each gradient is scaled by
        max_norm / (total_norm + 1e-6) when that factor is below 1, and left unchanged otherwise.
        """
        raise NotImplementedError


    def he_init(shape, *, generator=None):
        """Return a (fan_out, fan_in) tensor drawn from N(0, 2 / fan_in), with fan_in = shape[1]."""
        raise NotImplementedError


    def early_stopping(val_losses, patience, min_delta=0.0):
        """Return (stop_epoch, best_epoch), both 0-based, for a list of validation losses.

        Epoch 0 sets the first best; epoch e improves when val_losses[e] < best - min_delta.
        Training stops at the first e with e - best_epoch == patience; if that never happens,
        return (len(val_losses) - 1, best_epoch).
        """
        raise NotImplementedError


    def grid_search_configs(space):
        """Return every configuration (a list of dicts) of space = {name: [values]}.

        The order is that of itertools.product over the keys in the order given.
        """
        raise NotImplementedError


    def random_search_configs(space, n_trials, seed):
        """Return n_trials configurations (dicts), each value drawn uniformly with replacement from its list.

        The same seed gives the same list.
        """
        raise NotImplementedError
    ''', stub=("clip_gradients", "he_init", "early_stopping", "grid_search_configs",
               "random_search_configs")),
    check_cell("utilities"),
]


def part_lstm() -> list[Cell]:
    return [
        md("lstm-intro", f"""
        ## 3.2.3 Training two small models

        ### 3.2.3.1 An LSTM name generator (@POINTS 3.2.3.1@)

        Sheet 2.4's RNN overwrites its whole hidden state at every step, and gradients that flow
        back through many such steps tend to vanish or explode. A **long short-term memory** (LSTM)
        cell keeps a second state, the *cell state* `c`, that is changed only by addition and
        element-wise scaling. At each step, from the input `x` and the previous output `h`, it
        computes four vectors: a *forget gate* `f = sigmoid(W_f [x, h] + b_f)` (how much of `c` to
        keep), an *input gate* `i = sigmoid(...)` (how much new content to write), the candidate
        content `g = tanh(...)`, and an *output gate* `o = sigmoid(...)` (how much of the memory
        to show). Then `c' = f * c + i * g` and `h' = o * tanh(c')`. Because the path from `c` to
        `c'` is a gated sum rather than a repeated matrix product (in the given `CharRNN` the new
        state is a linear map of the old one, so gradients through many steps are multiplied by
        the same matrix again and again and shrink or blow up; with a squashing function such as
        tanh, as in many RNNs, they shrink further), information and gradients can travel over
        many steps.

        `nn.LSTMCell(input_size, hidden_size)` computes one such step: `h, c = cell(x, (h, c))`.
        (You may also use `nn.LSTM` and run it one step at a time.) Build `CharLSTM` with the same
        interface as `CharRNN`: the category and letter one-hot rows go in (concatenated), the
        state is passed along, and a linear layer with a log-softmax turns `h` into
        log-probabilities over the 60 symbols. Then train it sheet-2.4 style.

        **How it is graded.** The grader calls
        `train_char_lstm(names_data, n_iters={LSTM_SETTINGS["n_iters"]}, lr={LSTM_SETTINGS["lr"]}, seed=...)`
        with the names you have (about 10 names per category were taken out of `names_data` before
        it was given to you: the grader evaluates on those)
        and then feeds every held-out name to your trained model itself, one step at a time
        (`model.eval()`, `hidden = model.init_hidden()`, then `model(category, input, hidden)` for
        SOS, c1, ..., cn), scoring c1, ..., cn, EOS. Your model passes when its mean negative
        log-likelihood per predicted symbol is below **{LSTM_NLL_THRESHOLD}** (strictly). (A model
        that guesses uniformly gets ln 60 = 4.09.) The hidden size is your choice (64 to 256 works
        well); training must finish within a few seconds on a CPU. The model must be an LSTM: the
        grader recognises one by its state, which holds a cell state `c` beside the hidden state
        `h = o * tanh(c)` (return it as the pair `(h, c)`, as `nn.LSTMCell` does); `nn.LSTMCell`,
        `nn.LSTM` run one step at a time and gates written by hand with `nn.Linear` all qualify.
        """),
        code("stub-3-2-3-1", '''
        class CharLSTM(nn.Module):
            """A character-level LSTM conditioned on the category, run one step at a time.

            CharLSTM(n_categories, n_letters, hidden_size). init_hidden() returns the initial state;
            forward(category, input, hidden) takes one-hot rows (1, n_categories) and (1, n_letters)
            and the state, and returns (log_probs of shape (1, n_letters), new state).
            """

            def __init__(self, n_categories, n_letters, hidden_size):
                super().__init__()
                raise NotImplementedError

            def forward(self, category, input, hidden):
                raise NotImplementedError

            def init_hidden(self):
                raise NotImplementedError


        def train_char_lstm(names, *, n_iters, lr, seed, device="cpu"):
            """Train a CharLSTM on `names` ({category: [name, ...]}) sheet-2.4 style; return (model, losses).

            One random name per step, NLL summed over the name, Adam with learning rate lr;
            losses[k] is the float loss of step k. Seed everything from `seed`.
            The grader uses n_iters=@N_ITERS@, lr=@LSTM_LR@ (at most @LSTM_TIMEOUT@ s) and requires
            a held-out NLL per character below @LSTM_THRESHOLD@.
            """
            raise NotImplementedError
        ''', stub=("CharLSTM", "train_char_lstm")),
        md("lstm-try", """
        To see what your model has learned, sample from it: start from SOS, draw the next symbol from
        `log_probs.exp()`, feed it back, and stop at EOS. For example, after
        `model, losses = train_char_lstm(names_data, n_iters=2000, lr=0.005, seed=0)`.
        """),
        check_cell("3.2.3.1"),
    ]


def part_qa() -> list[Cell]:
    return [
        md("qa-model-intro", f"""
        ### 3.2.3.2 Extractive QA with a tiny GPT-2 (@POINTS 3.2.3.2@)

        Now combine the pieces of 3.2.1.2 into a model. `ExtractiveQAModel` is
        `GPT2ForQuestionAnswering` rebuilt by hand: a `GPT2Model` backbone stored as
        `self.transformer` and a linear head `self.qa_outputs` from `n_embd` to 2 (with bias), whose
        two outputs per position are the start and end logits. With these submodule names, the
        `state_dict` of `transformers`' own `GPT2ForQuestionAnswering` loads into your model.

        We turn the multiple-choice questions of `qa_data` into extractive QA: the input text is
        `"{{question}} A. {{option A}} B. {{option B}} C. ..."` and the answer span is the tokens of
        the correct option. The **question comes first** because GPT-2 is causal: the hidden state
        at an option's token can only see what came before it, so the model can judge an option
        against the question only if the question has already been read.

        To find the answer's tokens, compute the character span of the correct option in the text,
        tokenize with `return_offsets_mapping=True` (each token's `(start, end)` characters) and
        take the first and last token overlapping the answer's characters. Pad and truncate to
        `max_length`; if truncation cut the answer off, use `max_length` for both positions, an
        index that the loss ignores.

        This is the multiple-choice QA of homework 1, exercise 3, seen another way: there a language
        model answered *generatively*, by scoring or writing the answer's letter; here the model
        is *extractive*: it points at the answer's tokens in the input, and nothing is generated.

        **How it is graded.** The grader builds training examples from `qa_data["train"]` and
        held-out examples from its own questions with its own `make_extractive_example`
        (max_length={QA_MAX_LENGTH}), calls
        `train_extractive_qa(train_examples, n_steps={QA_SETTINGS["n_steps"]}, lr={QA_SETTINGS["lr"]}, seed=...)`,
        and predicts a span for each held-out question with `best_span` on your model's logits
        (padding excluded). Your model passes when at least **{QA_ACCURACY_THRESHOLD:.0%}** of the
        predicted spans are exactly right (guessing among the five options gives 20%). Use
        `ExtractiveQAModel(qa_config)`.

        **Requirements.** Each of the `n_steps` optimizer steps uses a mini-batch of
        **{QA_BATCH_RANGE[0]} to {QA_BATCH_RANGE[1]} examples** (the grader's `n_steps` and `lr` are
        set so that any such batch size reaches the threshold, with Adam or AdamW, with or without a
        schedule; single examples per step do not learn in time). The grader trains on its GPU:
        `device` is `"cuda"` there, so put the model *and every tensor of each batch* on `device`,
        and return the model (on any device). The public check runs your loop on a fake device to
        catch a batch left behind. The call may take at most {QA_TRAINING_TIMEOUT} s.
        What works well: random mini-batches of 16 or 32 examples, AdamW, your cosine schedule with
        a short warm-up (about a tenth of the steps) and gradient clipping at norm 1.
        """),
        code("stub-3-2-3-2", '''
        class ExtractiveQAModel(nn.Module):
            """GPT2ForQuestionAnswering by hand: submodules `transformer` (GPT2Model) and `qa_outputs`.

            qa_outputs is nn.Linear(config.n_embd, 2) with bias. forward(input_ids,
            attention_mask=None, start_positions=None, end_positions=None) returns a plain dict with
            "start_logits" and "end_logits" (each (B, T)) and "loss" (None without positions,
            else qa_loss's value).
            """

            def __init__(self, config):
                super().__init__()
                raise NotImplementedError

            def forward(self, input_ids, attention_mask=None, start_positions=None, end_positions=None):
                raise NotImplementedError


        def make_extractive_example(question, options, answer_key, tokenizer, max_length=64):
            """Build one training example from a multiple-choice question.

            Text: "{question} A. {option A} B. {option B} ..." (options labelled A, B, C, ... in
            order). Return a dict with 1-D tensors input_ids and attention_mask of length max_length
            (padded on the tokenizer's padding side, truncated) and ints start_positions and
            end_positions: the tokens start..end (inclusive) decode to the correct option's text.
            If truncation cuts the answer off, both positions are max_length.
            """
            raise NotImplementedError


        def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
            """Train ExtractiveQAModel(qa_config) on examples from make_extractive_example; return (model, losses).

            losses[k] is the float loss of step k. Seed everything from `seed`. Each step uses a
            mini-batch of @BATCH_MIN@ to @BATCH_MAX@ examples. Put the model and every batch on
            `device` (the grader passes device="cuda" on its GPU).
            The grader uses n_steps=@N_STEPS@, lr=@QA_LR@, examples of max_length=@MAX_LENGTH@ (at
            most @QA_TIMEOUT@ s), and requires an exact-match span accuracy of at least @QA_THRESHOLD@
            on held-out questions.
            """
            raise NotImplementedError
        ''', stub=("ExtractiveQAModel", "make_extractive_example", "train_extractive_qa")),
        md("qa-try", f"""
        To try it out:

        ```python
        train = [make_extractive_example(q["question"], q["options"], q["answer_key"], qa_tokenizer, max_length={QA_MAX_LENGTH})
                 for q in qa_data["train"]]
        model, losses = train_extractive_qa(train, n_steps={QA_SETTINGS["n_steps"]}, lr={QA_SETTINGS["lr"]}, seed=0)
        ```

        and compare `best_span` of the model's logits with the labelled positions on
        `qa_data["dev"]`.
        """),
        check_cell("3.2.3.2"),
    ]


OUTRO = [
    md("outro", """
    ## All public checks

    Run every public check once more before you submit. Remember that passing them means your
    answers have the right form; the hidden tests decide the grade.
    """),
    code("check-all", "check()"),
]


def build() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = INTRO + PART_1 + PART_2 + PART_MLM + PART_UTILITIES + part_lstm() + part_qa() + OUTRO
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "sheet_3_2": {"generated_by": "assignments/sheet_3_2/build_notebook.py"},
    }
    return notebook


def main() -> None:
    notebook = build()
    nbformat.validate(notebook)
    NOTEBOOK.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    print(f"wrote {NOTEBOOK}")


if __name__ == "__main__":
    main()
