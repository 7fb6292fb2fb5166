# exercise: utilities
# returns the norm after clipping, and clips to exactly max_norm / norm (no 1e-6)
def clip_gradients(grads, max_norm):
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / float(norm))
    clipped = [g * scale for g in grads]
    return clipped, float(norm) * scale
