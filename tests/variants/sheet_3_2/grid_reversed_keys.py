# exercise: utilities
def grid_search_configs(space):
    keys = list(space)[::-1]
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]
