"""Helpers the tests and the benchmarks share: the fake Telegram Bot API server, a small
fake encoder, a throwaway PostgreSQL server, and running the console script as a process.
Not shipped with the program."""
