# exercise: 3.2.1.2
# the right span, as 0-d tensors instead of Python ints
_reference_best_span = best_span


def best_span(start_logits, end_logits, max_answer_len=30):
    s, e = _reference_best_span(start_logits, end_logits, max_answer_len)
    return torch.tensor(s), torch.tensor(e)
