# exercise: utilities
def clip_gradients(grads, max_norm):
    total_norm = math.sqrt(sum(float(g.pow(2).sum()) for g in grads))
    scale = max_norm / (total_norm + 1e-6)
    return [g * scale for g in grads], total_norm
