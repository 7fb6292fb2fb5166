# exercise: utilities
# draws from the global generator, so the same generator seed does not give the same weights
def he_init(shape, *, generator=None):
    return torch.randn(shape) * math.sqrt(2 / shape[1])
