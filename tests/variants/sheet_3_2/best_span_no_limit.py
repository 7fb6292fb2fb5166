# exercise: 3.2.1.2
def best_span(start_logits, end_logits, max_answer_len=30):
    best, best_score = (0, 0), None
    n = len(start_logits)
    for s in range(n):
        for e in range(s, n):
            score = start_logits[s] + end_logits[e]
            if best_score is None or score > best_score:
                best, best_score = (s, e), score
    return best
