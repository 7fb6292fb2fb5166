# Alternative correct solution: QA training with a DataLoader of batch 32 (decided by the first run), plain
# Adam at a constant lr, no schedule, no clipping; losses returned as a tuple; a hand-made example
# builder that finds the answer with char_to_token.
def make_extractive_example(question, options, answer_key, tokenizer, max_length=64):
    text = question
    for label, option in zip("ABCDEFGHIJ", options):
        text += f" {label}. "
        if label == answer_key:
            first, last = len(text), len(text) + len(options["ABCDEFGHIJ".index(label)]) - 1
        text += option
    enc = tokenizer(text, max_length=max_length, padding="max_length", truncation=True, return_tensors="pt")
    start, end = enc.char_to_token(0, first), enc.char_to_token(0, last)
    if start is None or end is None:
        start = end = max_length
    return {"input_ids": enc["input_ids"][0], "attention_mask": enc["attention_mask"][0],
            "start_positions": int(start), "end_positions": int(end)}


def train_extractive_qa(examples, *, n_steps, lr, seed, device="cpu"):
    torch.manual_seed(seed)
    model = ExtractiveQAModel(qa_config).to(device)
    data = torch.utils.data.TensorDataset(
        torch.stack([torch.as_tensor(e["input_ids"]) for e in examples]),
        torch.stack([torch.as_tensor(e["attention_mask"]) for e in examples]),
        torch.tensor([e["start_positions"] for e in examples]),
        torch.tensor([e["end_positions"] for e in examples]),
    )
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    while len(losses) < n_steps:
        for batch in loader:
            if len(losses) == n_steps:
                break
            ids, mask, starts, ends = (t.to(device) for t in batch)
            loss = model(ids, attention_mask=mask, start_positions=starts, end_positions=ends)["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return model.eval(), tuple(losses)
