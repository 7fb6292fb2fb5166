# exercise: mlm
# labels come back as float32 (e.g. built with torch.full(..., -100.0))
_reference_mask_tokens = mask_tokens


def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15, generator=None):
    inputs, labels = _reference_mask_tokens(input_ids, special_tokens_mask, mask_token_id=mask_token_id,
                                            vocab_size=vocab_size, mlm_probability=mlm_probability,
                                            generator=generator)
    return inputs, labels.float()
