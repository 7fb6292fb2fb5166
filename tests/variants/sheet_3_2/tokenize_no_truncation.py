# exercise: mlm
def tokenize_for_mlm(texts, tokenizer, max_length=64):
    enc = tokenizer(texts, padding="longest", return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
