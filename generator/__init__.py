"""Synthetic French patient records with labelled administrative comments.

Rooms, from the bottom up (a room imports only those before it): ``data`` (the loader of
``corpora/``), ``contract`` (schema, taxonomy, version), ``arrays``, ``records`` (the
person), ``comments`` (the note), ``block`` (one block of rows), ``output`` (where rows
go), ``run`` (who makes which rows), and ``api`` (:func:`generate_dataset`).
"""
