# exercise: 3.2.1.3
# every task answered with the QA head (a class name, but the wrong one everywhere)
HEAD_FOR_TASK = {task: "GPT2ForQuestionAnswering" for task in
                 ("pos_tagging", "sentiment_classification", "summarization", "multiple_choice_qa", "translation")}
