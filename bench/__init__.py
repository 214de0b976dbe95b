"""Benchmarks. Not tests: they measure and report, they never assert on time."""
