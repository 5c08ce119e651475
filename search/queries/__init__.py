"""The query language, backend-neutral: lenient parsing of what users type, long pasted queries
and similar articles, question intent (when, how much), suggestions of other queries and completions as the user types."""
