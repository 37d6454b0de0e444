"""One module per ``breachbench`` sub-command; ``breachbench.cli`` registers them."""
