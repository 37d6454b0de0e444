"""Array building blocks: weighted sampling and string columns built without row loops."""
