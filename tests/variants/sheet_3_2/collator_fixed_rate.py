# exercise: mlm
def make_mlm_collator(tokenizer, mlm_probability):
    from transformers import DataCollatorForLanguageModeling

    return DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm_probability=0.15)
