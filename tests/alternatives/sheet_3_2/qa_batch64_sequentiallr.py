# Alternative correct solution: QA training with batches of 64 (the largest allowed), AdamW, a
# LinearLR warm-up then CosineAnnealingLR chained by SequentialLR, clipping by value; losses as a
# numpy array. Also HEAD_FOR_TASK with GPT2DoubleHeadsModel and the span (6, 9).
import numpy as np

HEAD_FOR_TASK = {
    "translation": "GPT2LMHeadModel",
    "multiple_choice_qa": "GPT2DoubleHeadsModel",
    "summarization": "GPT2LMHeadModel",
    "sentiment_classification": "GPT2ForSequenceClassification",
    "pos_tagging": "GPT2ForTokenClassification",
}
FOX_ANSWER_SPAN = (6, 9)


def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ExtractiveQAModel(qa_config).to(device)
    ids = torch.stack([torch.as_tensor(e["input_ids"]) for e in examples]).to(device)
    mask = torch.stack([torch.as_tensor(e["attention_mask"]) for e in examples]).to(device)
    starts = torch.tensor([e["start_positions"] for e in examples], device=device)
    ends = torch.tensor([e["end_positions"] for e in examples], device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = max(1, n_steps // 20)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.05, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n_steps - warmup, eta_min=lr / 20),
    ], milestones=[warmup])
    losses = np.zeros(n_steps, dtype=np.float32)
    model.train()
    for step in range(n_steps):
        batch = torch.randint(len(examples), (64,), generator=gen).to(device)
        out = model(ids[batch], mask[batch], starts[batch], ends[batch])
        optimizer.zero_grad()
        out["loss"].backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses[step] = out["loss"].item()
    return model.eval(), losses
