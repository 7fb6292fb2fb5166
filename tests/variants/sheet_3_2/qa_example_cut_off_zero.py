# exercise: 3.2.3.2
# an answer cut off by truncation gets positions (0, 0) instead of max_length
_reference_make_extractive_example = make_extractive_example


def make_extractive_example(question, options, answer_key, tokenizer, max_length=64):
    out = _reference_make_extractive_example(question, options, answer_key, tokenizer, max_length=max_length)
    if out["start_positions"] == max_length:
        out["start_positions"] = out["end_positions"] = 0
    return out
