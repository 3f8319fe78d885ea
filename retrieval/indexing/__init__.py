"""Index builds: what a paragraph is embedded as (views.py), topic labels (labels.py), the
map (projection.py), the FAISS index type (ann.py), building (build.py), the build folders
and their atomic publication (builds.py), and loading a build safely (loading.py)."""
