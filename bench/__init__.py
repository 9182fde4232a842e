"""Benchmarks: Sluice against the tool a user would otherwise pick, in the same run."""
