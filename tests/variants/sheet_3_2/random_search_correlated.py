# exercise: utilities
# one random index for all keys of a trial: values are uniform but not independent
def random_search_configs(space, n_trials, seed):
    rng = random.Random(seed)
    configs = []
    for _ in range(n_trials):
        u = rng.random()
        configs.append({key: values[int(u * len(values))] for key, values in space.items()})
    return configs
