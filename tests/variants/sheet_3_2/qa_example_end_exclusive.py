# exercise: 3.2.3.2
_make_extractive_example_ok = make_extractive_example


def make_extractive_example(question, options, answer_key, tokenizer, max_length=64):
    example = _make_extractive_example_ok(question, options, answer_key, tokenizer, max_length)
    if example["end_positions"] < max_length:
        example["end_positions"] += 1  # an exclusive end, as in Python slices
    return example
