# Alternative correct solution: masking with torch.bernoulli (all draws from `generator`), a
# collator written as a closure, tokenize_for_mlm through tokenizer.pad.
def mask_tokens(input_ids, special_tokens_mask, *, mask_token_id, vocab_size, mlm_probability=0.15,
                generator=None):
    inputs = input_ids.clone().long()
    labels = input_ids.clone().long()
    probs = torch.full(inputs.shape, float(mlm_probability))
    probs.masked_fill_(torch.as_tensor(special_tokens_mask).bool(), 0.0)
    chosen = torch.bernoulli(probs, generator=generator).bool()
    labels[~chosen] = -100
    masked = torch.bernoulli(torch.full(inputs.shape, 0.8), generator=generator).bool() & chosen
    inputs[masked] = mask_token_id
    randomised = torch.bernoulli(torch.full(inputs.shape, 0.5), generator=generator).bool() & chosen & ~masked
    inputs[randomised] = torch.randint(vocab_size, inputs.shape, generator=generator)[randomised]
    return inputs, labels


def tokenize_for_mlm(texts, tokenizer, max_length=64):
    encoded = [tokenizer(text, truncation=True, max_length=max_length) for text in texts]
    batch = tokenizer.pad(encoded, padding="max_length", max_length=max_length, return_tensors="pt")
    return {"input_ids": batch["input_ids"].to(torch.int64), "attention_mask": batch["attention_mask"].to(torch.int64)}


def make_mlm_collator(tokenizer, mlm_probability):
    def collate(examples):
        batch = tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
        special = torch.tensor([tokenizer.get_special_tokens_mask(row, already_has_special_tokens=True)
                                for row in batch["input_ids"].tolist()])
        inputs, labels = mask_tokens(batch["input_ids"], special, mask_token_id=tokenizer.mask_token_id,
                                     vocab_size=len(tokenizer), mlm_probability=mlm_probability)
        return {"input_ids": inputs, "attention_mask": batch["attention_mask"], "labels": labels}

    return collate
