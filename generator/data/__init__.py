"""Reading ``breachbench.corpora`` data files, and caching what is derived from them."""
