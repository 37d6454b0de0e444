"""The administrative comment: templates, their compiled arrays, slot values and noise."""
