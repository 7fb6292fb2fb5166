"""What a grade is made of beyond the autograded tests: staff's ledger, lateness, written answers, provenance."""
