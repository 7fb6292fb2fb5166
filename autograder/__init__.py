"""Course autograder: student code in a sandboxed process, a trusted pytest judge, tensor-aware checks."""

__version__ = "0.1.0"
