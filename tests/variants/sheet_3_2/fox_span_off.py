# exercise: 3.2.1.2
FOX_ANSWER_SPAN = (5, 9)
