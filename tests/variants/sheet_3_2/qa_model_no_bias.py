# exercise: 3.2.3.2
class ExtractiveQAModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transformer = GPT2Model(config)
        self.qa_outputs = nn.Linear(config.n_embd, 2, bias=False)

    def forward(self, input_ids, attention_mask=None, start_positions=None, end_positions=None):
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.qa_outputs(hidden)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = qa_loss(start_logits, end_logits, start_positions, end_positions)
        return {"start_logits": start_logits, "end_logits": end_logits, "loss": loss}
