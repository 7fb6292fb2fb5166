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
    """BERT's masking: choose non-special positions with ``mlm_probability``; 80% [MASK], 10% random, 10% kept.

    Returns ``(inputs, labels)``, both int64 and shaped like ``input_ids``; ``labels`` holds the
    original id at chosen positions and -100 elsewhere. The input tensor is not modified.
    """
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
    """``{"input_ids", "attention_mask"}``: int64 ``(len(texts), max_length)``, padded and truncated."""
    encoded = tokenizer(
        list(texts), padding="max_length", truncation=True, max_length=max_length,
        return_tensors="pt",
    )
    return {
        "input_ids": encoded["input_ids"].long(),
        "attention_mask": encoded["attention_mask"].long(),
    }


def make_mlm_collator(tokenizer, mlm_probability: float):
    """transformers' ``DataCollatorForLanguageModeling`` with MLM masking at ``mlm_probability``."""
    from transformers import DataCollatorForLanguageModeling

    return DataCollatorForLanguageModeling(
        tokenizer=tokenizer, mlm=True, mlm_probability=mlm_probability, return_tensors="pt"
    )
