"""Models Sluice runs: embedders and LLM providers, each a registry of named plugins."""
