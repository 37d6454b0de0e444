"""Data only: taxonomy, lexicons, templates and reference tables.

This is a package solely so that the files install alongside the code; the one module
that opens them is ``breachbench.generator.data.corpora``.
"""
