"""Exercise "mlm": masked-language-model masking (80/10/10), tokenization and the HF collator."""

from __future__ import annotations

import torch


def mask_tokens(
    input_ids: torch.Tensor,
    special_tokens_mask: torch.Tensor,
    *,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply BERT's 80/10/10 masking; return (inputs, labels), int64 tensors shaped like input_ids.

    special_tokens_mask (bool or 0/1) marks positions that are never chosen. Each other position
    is chosen independently with mlm_probability; of the chosen, 80% become mask_token_id, 10%
    a uniformly random id in [0, vocab_size), 10% stay. labels hold the original id where chosen
    and -100 elsewhere. Use `generator` for all randomness: the same seed gives the same output.
    """
    # The input tensor is not modified: inputs and labels are copies.
    input_ids = torch.as_tensor(input_ids)
    inputs = input_ids.clone().long()
    labels = input_ids.clone().long()
    special = torch.as_tensor(special_tokens_mask).bool()
    device = inputs.device

    def uniform() -> torch.Tensor:
        return torch.rand(inputs.shape, generator=generator, device=device)

    chosen = (uniform() < mlm_probability) & ~special
    labels[~chosen] = -100
    to_mask = chosen & (uniform() < 0.8)
    inputs[to_mask] = mask_token_id
    # Half of the remaining 20% (10% overall) get a random id; the rest keep their token.
    to_randomise = chosen & ~to_mask & (uniform() < 0.5)
    random_ids = torch.randint(vocab_size, inputs.shape, generator=generator, device=device)
    inputs[to_randomise] = random_ids[to_randomise]
    return inputs, labels


def tokenize_for_mlm(texts: list[str], tokenizer, max_length: int = 64) -> dict[str, torch.Tensor]:
    """Tokenize a list of texts to a plain dict of int64 tensors input_ids and attention_mask.

    Both of shape (len(texts), max_length): padded to max_length and truncated; the attention
    mask is 0 exactly on padding.
    """
    encoded = tokenizer(
        list(texts), padding="max_length", truncation=True, max_length=max_length,
        return_tensors="pt",
    )
    return {
        "input_ids": encoded["input_ids"].long(),
        "attention_mask": encoded["attention_mask"].long(),
    }


def make_mlm_collator(tokenizer, mlm_probability: float):
    """Return a collator that pads a list of examples and masks them for MLM at mlm_probability.

    It returns a batch with input_ids and labels and never masks special tokens
    (transformers has one ready-made).
    """
    # transformers' `DataCollatorForLanguageModeling` with MLM masking at `mlm_probability`
    # (imported here: importing transformers is slow and only this function needs it).
    from transformers import DataCollatorForLanguageModeling

    return DataCollatorForLanguageModeling(
        tokenizer=tokenizer, mlm=True, mlm_probability=mlm_probability, return_tensors="pt"
    )
