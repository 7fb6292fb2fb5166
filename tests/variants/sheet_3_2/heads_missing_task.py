# exercise: 3.2.1.3
# translation forgotten
HEAD_FOR_TASK = {
    "pos_tagging": "GPT2ForTokenClassification",
    "sentiment_classification": "GPT2ForSequenceClassification",
    "summarization": "GPT2LMHeadModel",
    "multiple_choice_qa": "GPT2DoubleHeadsModel",
}
