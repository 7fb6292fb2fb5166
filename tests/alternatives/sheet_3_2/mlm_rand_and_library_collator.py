# Alternative correct solution: masking with torch.rand() < p drawn once per decision in another
# order (the random ids drawn for every position first), special tokens as a 0/1 int mask, a
# subclass of transformers' collator, tokenize_for_mlm with return_tensors="np" converted.
from transformers import DataCollatorForLanguageModeling


def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    random_ids = torch.randint(0, vocab_size, input_ids.shape, generator=generator, dtype=torch.long)
    u_choose = torch.rand(input_ids.shape, generator=generator)
    u_kind = torch.rand(input_ids.shape, generator=generator)
    chosen = (u_choose < mlm_probability) & (torch.as_tensor(special_tokens_mask).int() == 0)
    labels = torch.where(chosen, input_ids.long(), torch.full_like(input_ids.long(), -100))
    inputs = input_ids.long().clone()
    inputs = torch.where(chosen & (u_kind < 0.8), torch.full_like(inputs, mask_token_id), inputs)
    inputs = torch.where(chosen & (u_kind >= 0.8) & (u_kind < 0.9), random_ids, inputs)
    return inputs, labels


class SheetCollator(DataCollatorForLanguageModeling):
    pass


def make_mlm_collator(tokenizer, mlm_probability):
    return SheetCollator(tokenizer=tokenizer, mlm=True, mlm_probability=mlm_probability)


def tokenize_for_mlm(texts, tokenizer, max_length=64):
    enc = tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_length, return_tensors="np")
    return {key: torch.from_numpy(enc[key]).long() for key in ("input_ids", "attention_mask")}
