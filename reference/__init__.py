"""Reference implementations of the course's sheets (never released to students; imported by the judge)."""
