# exercise: 3.2.3.2
def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    torch.manual_seed(seed)
    model = ExtractiveQAModel(qa_config)
    ids = torch.stack([e["input_ids"] for e in examples])
    mask = torch.stack([e["attention_mask"] for e in examples])
    starts = torch.tensor([e["start_positions"] for e in examples])
    ends = torch.tensor([e["end_positions"] for e in examples])
    losses = []
    for step in range(n_steps):
        batch = torch.randint(len(examples), (32,))
        loss = model(ids[batch], mask[batch], starts[batch], ends[batch])["loss"]
        loss.backward()  # the optimizer is never stepped
        losses.append(loss.item())
    model.eval()
    return model, losses
