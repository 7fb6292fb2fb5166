"""Reference implementation of Sheet 3.2 (DESIGN.md §6), imported by the judge as ``ref``.

The student notebook's stubs are expanded from the contract items' definitions here (names,
signatures, docstrings, the comments above constants) by ``autograder assign sheet_3_2`` from the
master ``sheets/sheet_3_2/master.md``; their docstrings are written for students. Besides the
contract, the module publishes what the hidden suite needs to grade the training exercises:
``LSTM_SETTINGS``, ``LSTM_NLL_THRESHOLD``, ``QA_SETTINGS``, ``QA_RETRY_STEPS``, ``QA_MAX_LENGTH``,
``QA_ACCURACY_THRESHOLD``, ``judge_names``, ``load_judge_qa_data``, ``heldout_nll_per_char``, ``build_qa_examples``,
``qa_exact_match``, ``judge_qa_examples`` (see :mod:`reference.sheet_3_2.grading`), and
:func:`warm_judge`, which the grading worker calls once before it forks a judge per submission.
"""

from reference.sheet_3_2._given import given
from reference.sheet_3_2.grading import (
    HELDOUT_NAMES_PER_CATEGORY,
    LSTM_NLL_THRESHOLD,
    LSTM_SETTINGS,
    NAMES_SPLIT_SEED,
    LSTM_TRAINING_TIMEOUT,
    QA_ACCURACY_THRESHOLD,
    QA_BATCH_RANGE,
    QA_MAX_LENGTH,
    QA_RETRY_BELOW,
    QA_RETRY_STEPS,
    QA_TRAINING_TIMEOUT,
    QA_SETTINGS,
    UNIFORM_NLL,
    build_qa_examples,
    heldout_nll_per_char,
    judge_qa_examples,
    qa_exact_match,
    qa_predictions,
    judge_names,
    load_judge_qa_data,
)
from reference.sheet_3_2.heads import (
    ACCEPTED_HEADS,
    FOX_ANSWER_SPAN,
    HEAD_FOR_TASK,
    best_span,
    pool_last_token,
    qa_loss,
    sequence_classification_head,
    sequence_classification_loss,
)
from reference.sheet_3_2.lstm import CharLSTM, train_char_lstm
from reference.sheet_3_2.mlm import make_mlm_collator, mask_tokens, tokenize_for_mlm
from reference.sheet_3_2.qa_model import (
    ExtractiveQAModel,
    make_extractive_example,
    train_extractive_qa,
)
from reference.sheet_3_2.schedules import cosine_lr, make_cosine_scheduler, train_char_rnn
from reference.sheet_3_2.solution_notes import SOLUTION_NOTES
from reference.sheet_3_2.utilities import (
    clip_gradients,
    early_stopping,
    grid_search_configs,
    he_init,
    random_search_configs,
)

#: the names of DESIGN §6's contract, by exercise id (the notebook defines exactly these)
CONTRACT: dict[str, tuple[str, ...]] = {
    "3.2.1.1": ("sequence_classification_head", "pool_last_token", "sequence_classification_loss"),
    "3.2.1.2": ("FOX_ANSWER_SPAN", "best_span", "qa_loss"),
    "3.2.1.3": ("HEAD_FOR_TASK",),
    "3.2.2": ("cosine_lr", "make_cosine_scheduler", "train_char_rnn"),
    "mlm": ("mask_tokens", "tokenize_for_mlm", "make_mlm_collator"),
    "utilities": ("clip_gradients", "he_init", "early_stopping", "grid_search_configs",
                  "random_search_configs"),
    "3.2.3.1": ("CharLSTM", "train_char_lstm"),
    "3.2.3.2": ("ExtractiveQAModel", "make_extractive_example", "train_extractive_qa"),
}

__all__ = [
    "ACCEPTED_HEADS",
    "CONTRACT",
    "FOX_ANSWER_SPAN",
    "HEAD_FOR_TASK",
    "HELDOUT_NAMES_PER_CATEGORY",
    "LSTM_NLL_THRESHOLD",
    "LSTM_SETTINGS",
    "NAMES_SPLIT_SEED",
    "LSTM_TRAINING_TIMEOUT",
    "QA_ACCURACY_THRESHOLD",
    "QA_BATCH_RANGE",
    "QA_TRAINING_TIMEOUT",
    "SOLUTION_NOTES",
    "QA_MAX_LENGTH",
    "QA_RETRY_BELOW",
    "QA_RETRY_STEPS",
    "QA_SETTINGS",
    "UNIFORM_NLL",
    "CharLSTM",
    "ExtractiveQAModel",
    "best_span",
    "build_qa_examples",
    "clip_gradients",
    "cosine_lr",
    "early_stopping",
    "given",
    "grid_search_configs",
    "he_init",
    "heldout_nll_per_char",
    "judge_qa_examples",
    "make_cosine_scheduler",
    "make_extractive_example",
    "make_mlm_collator",
    "mask_tokens",
    "pool_last_token",
    "qa_exact_match",
    "qa_loss",
    "qa_predictions",
    "random_search_configs",
    "sequence_classification_head",
    "sequence_classification_loss",
    "judge_names",
    "load_judge_qa_data",
    "tokenize_for_mlm",
    "train_char_lstm",
    "train_char_rnn",
    "train_extractive_qa",
]


def warm_judge() -> None:
    """Compute, once per grading worker, what every judge process would otherwise rebuild."""
    judge_qa_examples()
