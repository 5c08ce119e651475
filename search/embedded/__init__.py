"""The embedded backend, a Whoosh index in one directory: schema, writer and segments, merge,
generations on disk, the per-generation tables, whole-array query evaluation and the engine
that answers searches (``SearchIndex``)."""
