# exercise: mlm
# draws from the global generator, so the same generator seed does not give the same mask
_reference_mask_tokens = mask_tokens


def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15, generator=None):
    return _reference_mask_tokens(input_ids, special_tokens_mask, mask_token_id=mask_token_id,
                                  vocab_size=vocab_size, mlm_probability=mlm_probability, generator=None)
