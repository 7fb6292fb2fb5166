# exercise: 3.2.1.2
# also: 3.2.3.2
def qa_loss(start_logits, end_logits, start_positions, end_positions):
    T = start_logits.shape[1]
    start_positions = start_positions.reshape(-1).clamp(0, T)
    end_positions = end_positions.reshape(-1).clamp(0, T)
    start_loss = F.cross_entropy(start_logits, start_positions, ignore_index=T)
    end_loss = F.cross_entropy(end_logits, end_positions, ignore_index=T)
    return start_loss + end_loss
