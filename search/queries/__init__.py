"""The query language, backend-neutral: lenient parsing of what users type, long pasted queries
and similar articles, suggestions of other queries and completions as the user types."""
