"""Where jobs run: the executors (threads, local process pools) and the loop that claims
and runs one job. A worker process opens its own composition root (``sluice.platform``),
which is why this lives outside ``core``: core services never build the platform."""
