# exercise: 3.2.1.1
def pool_last_token(logits, input_ids, pad_token_id):
    # the HF-4.x habit: first pad position minus one (wrong with left padding and pad inside text)
    batch = torch.arange(logits.shape[0])
    if pad_token_id is None:
        return logits[batch, -1]
    last = (torch.eq(input_ids, pad_token_id).int().argmax(-1) - 1) % input_ids.shape[-1]
    return logits[batch, last]
