"""Domain events: the durable log every state change writes (an outbox) and the
subscribers that read it."""
