# exercise: mlm
# labels only where [MASK] was put, not at the randomly replaced or kept positions
_reference_mask_tokens = mask_tokens


def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15, generator=None):
    inputs, labels = _reference_mask_tokens(input_ids, special_tokens_mask, mask_token_id=mask_token_id,
                                            vocab_size=vocab_size, mlm_probability=mlm_probability,
                                            generator=generator)
    labels = labels.masked_fill(inputs != mask_token_id, -100)
    return inputs, labels
