"""The untrusted side: a warm zygote forks isolated sandbox processes that run student code."""
