"""zhsearch: full-text search for archives of Chinese news articles (the CLI lives in ``cli``)."""
