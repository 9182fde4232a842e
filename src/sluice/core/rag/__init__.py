"""Answers with citations: retrieval, a versioned prompt, generation, traces."""
