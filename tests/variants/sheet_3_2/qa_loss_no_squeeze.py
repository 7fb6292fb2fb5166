# exercise: 3.2.1.2
# positions of shape (B, 1) are not squeezed (cross_entropy then fails or broadcasts wrongly)
def qa_loss(start_logits, end_logits, start_positions, end_positions):
    T = start_logits.size(1)
    start_positions = start_positions.clamp(0, T)
    end_positions = end_positions.clamp(0, T)
    start = F.cross_entropy(start_logits, start_positions, ignore_index=T)
    end = F.cross_entropy(end_logits, end_positions, ignore_index=T)
    return (start + end) / 2
