"""Text analysis shared by indexing, querying and every backend: normalization, the jieba
word, character and character-pair analyzers, jieba's memory-mapped dictionary, the words an
archive adds to it, and the strings OpenCC can change."""
