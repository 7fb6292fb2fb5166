# exercise: utilities
def random_search_configs(space, n_trials, seed):
    return [{key: random.choice(values) for key, values in space.items()} for _ in range(n_trials)]
