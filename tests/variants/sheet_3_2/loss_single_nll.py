# exercise: 3.2.1.1
# single-label classification with nll_loss on raw logits (no log_softmax)
_reference_sequence_classification_loss = sequence_classification_loss


def sequence_classification_loss(pooled_logits, labels, problem_type):
    if problem_type == "single_label_classification":
        return F.nll_loss(pooled_logits, labels)
    return _reference_sequence_classification_loss(pooled_logits, labels, problem_type)
