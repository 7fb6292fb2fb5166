# exercise: 3.2.1.3
HEAD_FOR_TASK = dict(HEAD_FOR_TASK, summarization="GPT2ForSequenceClassification")
