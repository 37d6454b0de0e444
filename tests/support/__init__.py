"""Code the tests (and the speed benchmarks in ``benchmarks/perf``) share; never installed.

``reference`` is a slow, obvious scorer to check the vectorised one against, ``synthetic``
makes random gold batches and noisy predictions, ``heldout`` runs the family-held-out
classifier check, ``scan`` counts the labels of written data files, ``files`` digests an
output file by file, ``contexts`` builds comment contexts of drawn people for tests that
call the comment engine directly.
"""
