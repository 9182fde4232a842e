"""Views: derived datasets of chunked, embedded text that follow their source dataset
(created, synced incrementally, deleted); search reads them."""
