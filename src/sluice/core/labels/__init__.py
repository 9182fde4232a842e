"""Labeling: schemas, annotations by people, labeling functions, a label model."""
