# Alternative correct solution: a hand-written MLM collator and tokenizer call style.
class MyCollator:
    def __init__(self, tokenizer, p):
        self.tokenizer, self.p = tokenizer, p

    def __call__(self, examples):
        batch = self.tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
        ids = batch["input_ids"].clone()
        special = torch.tensor([self.tokenizer.get_special_tokens_mask(row, already_has_special_tokens=True)
                                for row in ids.tolist()], dtype=torch.bool)
        inputs, labels = mask_tokens(ids, special, mask_token_id=self.tokenizer.mask_token_id,
                                     vocab_size=len(self.tokenizer), mlm_probability=self.p)
        return {"input_ids": inputs, "attention_mask": batch["attention_mask"], "labels": labels}


def make_mlm_collator(tokenizer, mlm_probability):
    return MyCollator(tokenizer, mlm_probability)


def tokenize_for_mlm(texts, tokenizer, max_length=64):
    rows = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] for t in texts]
    pad = tokenizer.pad_token_id
    ids = torch.full((len(rows), max_length), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), max_length), dtype=torch.long)
    for i, row in enumerate(rows):
        if tokenizer.padding_side == "left":
            ids[i, max_length - len(row):] = torch.tensor(row)
            mask[i, max_length - len(row):] = 1
        else:
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}
