"""Where rows go: sinks, atomic targets, Parquet stitching, and the metadata written beside."""
