"""Staff's work through a term: adjustments, regrades with their diff, written answers graded offline."""
