"""Classes of the tiny sheet."""


class Base:
    pass


class Counter(Base):
    """Counts up from ``start``."""

    step = 1

    def __init__(self, start: int = 0) -> None:
        super().__init__()
        self.value = start

    def bump(self, by=1):
        """Add ``by`` and return the new value."""
        self.value += by
        return self.value

    def __len__(self):
        return self.value

    def _secret(self):
        return 0

    @staticmethod
    def zero():
        """A counter's start value."""
        return 0


class Shelf:
    def __init__(self, items=()):
        self.items = list(items)

    def count(self):
        return len(self.items)
