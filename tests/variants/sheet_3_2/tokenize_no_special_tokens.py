# exercise: mlm
# texts tokenized without [CLS] and [SEP] (add_special_tokens=False)
def tokenize_for_mlm(texts, tokenizer, max_length=64):
    encoded = tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_length,
                        add_special_tokens=False, return_tensors="pt")
    return {"input_ids": encoded["input_ids"].long(), "attention_mask": encoded["attention_mask"].long()}
