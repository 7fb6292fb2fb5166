"""Staff notes shown in the solutions notebook (``autograder rubric sheet_3_2``); never released."""

from reference.sheet_3_2.grading import (
    QA_ACCURACY_THRESHOLD,
    QA_BATCH_RANGE,
    QA_RETRY_BELOW,
    QA_RETRY_STEPS,
    QA_SETTINGS,
)

SOLUTION_NOTES: dict[str, str] = {
    "3.2.1.1": "GPT-2 pools the logits of the rightmost non-pad token (argmax over `index * is_real`), "
               "which handles left and right padding and pad ids inside the text; an all-padding row "
               "pools 0. Without a pad id HF refuses batches > 1; the sheet asks for the last position.",
    "3.2.1.2": "FOX_ANSWER_SPAN: the words are `The(0) quick(1) brown(2) fox(3) jumped(4) over(5) the(6) "
               "lazy(7) brown(8) dog.(9) ...`; both (6, 9) 'the lazy brown dog.' and (7, 9) 'lazy brown "
               "dog.' answer 'who did the fox jump over?', so both are accepted. best_span ties go to "
               "the smallest start, then end; qa_loss clamps to [0, T] and ignores T.",
    "3.2.1.3": "Accepted: pos_tagging GPT2ForTokenClassification; sentiment GPT2ForSequenceClassification; "
               "summarization and translation GPT2LMHeadModel (generation); multiple_choice_qa "
               "GPT2DoubleHeadsModel (its multiple-choice head scores each (question, option) row at "
               "mc_token_ids) or GPT2ForSequenceClassification (score each pair, take the best).",
    "3.2.2": "min_lr from total_steps on takes precedence (also at warmup == total). Learning rates are "
             "compared at relative 1e-5 / absolute 1e-6 * base_lr, so float32 math is accepted. "
             "LambdaLR, a hand-written scheduler or SequentialLR of built-ins all pass.",
    "mlm": "mask_tokens is graded on properties (rates, labels, special tokens, 80/10/10, same seed same "
           "output), never against the reference's random draws; bernoulli and rand() < both pass.",
    "utilities": "grid_search_configs compares dicts (key order inside a dict is free); random search is "
                 "graded on uniformity, independence and reproducibility only.",
    "3.2.3.1": "Any LSTM passes the structure check: the judge looks for a state pair with h = o*tanh(c) "
               "(|h| <= |tanh(c)|, same sign). A GRU or RNN fails it and then earns no training points.",
    "3.2.3.2": f"The judge trains with n_steps={QA_SETTINGS['n_steps']}, lr={QA_SETTINGS['lr']} and, when that "
               f"scores below {QA_RETRY_BELOW:.0%} (the threshold is {QA_ACCURACY_THRESHOLD:.0%}), once more with "
               f"n_steps={QA_RETRY_STEPS}, grading the better run; "
               f"mini-batches of 32-{QA_BATCH_RANGE[1]} pass the first run and {QA_BATCH_RANGE[0]}-16 the "
               "second, with Adam or AdamW, with or without a schedule (docs/benchmarks.md); batch 1 does "
               "not, which the notebook states and the public check enforces. Losses may be any sequence.",
}
