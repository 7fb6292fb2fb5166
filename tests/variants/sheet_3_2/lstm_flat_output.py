# exercise: 3.2.3.1
# forward returns log-probabilities of shape (n_letters,), not (1, n_letters)
_ReferenceCharLSTM = CharLSTM


class CharLSTM(_ReferenceCharLSTM):
    def forward(self, category, input, hidden):
        log_probs, state = super().forward(category, input, hidden)
        return log_probs.reshape(-1), state
