# exercise: 3.2.1.1
def sequence_classification_head(hidden_size, num_labels):
    return nn.Linear(hidden_size, num_labels, bias=True)
