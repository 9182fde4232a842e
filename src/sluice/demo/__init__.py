"""Demo data that ships with Sluice or is generated: nothing is downloaded."""
