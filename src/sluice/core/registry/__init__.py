"""The model registry: registered models, numbered versions, aliases, cards, safe loading."""
