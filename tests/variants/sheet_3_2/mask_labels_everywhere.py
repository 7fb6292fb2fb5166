# exercise: mlm
def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    inputs = input_ids.clone().long()
    labels = input_ids.clone().long()
    special = special_tokens_mask.bool()
    chosen = torch.bernoulli(torch.full(inputs.shape, mlm_probability), generator=generator).bool() & ~special
    replaced = torch.bernoulli(torch.full(inputs.shape, 0.8), generator=generator).bool() & chosen
    inputs[replaced] = mask_token_id
    randomised = torch.bernoulli(torch.full(inputs.shape, 0.5), generator=generator).bool() & chosen & ~replaced
    random_words = torch.randint(vocab_size, inputs.shape, generator=generator)
    inputs[randomised] = random_words[randomised]
    return inputs, labels
