"""What a search hands out: the typed documents, hits and pages, snippets and highlights, facet
counts and groups of duplicate articles."""
