"""What is made from results, never by grading again: feedback, the TA report, exports, charts, rubrics."""
