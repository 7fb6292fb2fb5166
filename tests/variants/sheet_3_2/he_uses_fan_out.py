# exercise: utilities
def he_init(shape, *, generator=None):
    fan_out, fan_in = shape
    return torch.randn(fan_out, fan_in, generator=generator) * math.sqrt(2 / fan_out)
