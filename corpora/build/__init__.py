"""Build scripts for ``corpora/reference``: not imported at run time.

``python -m breachbench.corpora.build.build_reference`` downloads the pinned source packages,
checks their hashes and rewrites the reference tables deterministically. The inputs
written by hand (age pyramid, birth countries, streets, surname accents) live here too.
"""
