"""Benchmarks of interview-bot: `python -m bench [--quick] [--out FILE]` (docs/benchmarks.md)."""
