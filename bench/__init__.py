"""Benchmarks of interview-bot: `python -m bench [--quick] [--out FILE]` (see bench/README.md)."""
