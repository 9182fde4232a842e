"""The lineage graph: what each dataset version, label set, run, model version and alias
came from, built from the event log (``core/events``)."""
