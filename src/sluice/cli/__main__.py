"""``python -m sluice.cli`` runs the CLI."""

from sluice.cli.main import main

main()
