# exercise: 3.2.1.1
def sequence_classification_loss(pooled_logits, labels, problem_type):
    num_labels = pooled_logits.shape[-1]
    if problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(pooled_logits.squeeze(), labels.squeeze().float())
        return F.mse_loss(pooled_logits, labels.float())
    if problem_type == "single_label_classification":
        return F.cross_entropy(pooled_logits.view(-1, num_labels), labels.view(-1))
    return F.cross_entropy(pooled_logits, labels.float())
