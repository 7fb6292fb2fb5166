# exercise: mlm
def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    inputs = input_ids.clone().long()
    labels = input_ids.clone().long()
    special = special_tokens_mask.bool()
    chosen = torch.bernoulli(torch.full(inputs.shape, mlm_probability), generator=generator).bool() & ~special
    labels[~chosen] = -100
    inputs[chosen] = mask_token_id
    return inputs, labels
