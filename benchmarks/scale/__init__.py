"""Past one machine: detector copies in worker processes or on Dask, shards, merge, resume.

Every way of running a detector cuts the selected rows the same way (:mod:`.chunks`): fixed
chunks of ``--chunk-rows`` rows by position, each sent in calls of ``--batch-size`` texts.
Engines (:mod:`.engines`, :mod:`.dask_engine`) only decide where the calls run; the
answers come back in order and the harness scores and writes them exactly as a single
process would, so ``--workers``, ``--engine dask``, ``--shard`` + ``merge`` and
``--resume`` all give the result of one uninterrupted local run.
"""
