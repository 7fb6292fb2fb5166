# exercise: 3.2.1.1
# the number of non-pad tokens minus one (right for right padding only)
def pool_last_token(logits, input_ids, pad_token_id):
    batch = torch.arange(logits.shape[0])
    if pad_token_id is None:
        return logits[batch, -1]
    last = (input_ids != pad_token_id).sum(-1) - 1
    return logits[batch, last.clamp(min=0)]
