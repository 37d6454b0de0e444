"""Who makes which rows: the process pool, its warm workers, progress and memory figures."""
