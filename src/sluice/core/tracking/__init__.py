"""Experiment tracking: experiments, runs, params, stepped metrics, tags, artifacts."""
