"""Search: chunk views kept in sync with their source, full-text, vector and hybrid search."""
