"""Trains a small SentencePiece BPE model the way Llama 2's was configured (identity
normalisation, a dummy space prefix, byte fallback, whitespace kept as it is) on a corpus
made here, and prints its vocabulary and its own encoding of the given texts as JSON:
the reference Mira's GGUF SentencePiece tokenizer is compared with.

Usage: python3 sentencepiece_vocab.py < texts.json > reference.json
"""

import io
import json
import sys

import sentencepiece as spm

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "def parse_config(path):\n    return load(path)",
    "Mira indexes the symbols, call graph and git history of a repository.",
    "fn main() { println!(\"hello, world\"); }",
    "A function calls another function; the caller and the callee are linked.",
    "Tokenizers split text into pieces, and pieces into ids.",
    "Numbers like 12, 345 and 6789 appear in code and prose alike.",
    "   indented lines keep their leading spaces",
]


def main() -> None:
    texts = json.load(sys.stdin)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 50),
        model_writer=model,
        model_type="bpe",
        vocab_size=420,
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        split_digits=True,
        bos_id=1,
        eos_id=2,
        unk_id=0,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    pieces = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            kind = 2
        elif sp.is_control(i):
            kind = 3
        elif sp.is_byte(i):
            kind = 6
        elif sp.is_unused(i):
            kind = 5
        else:
            kind = 1
        pieces.append({"piece": sp.id_to_piece(i), "score": sp.get_score(i), "type": kind})
    cases = [{"text": t, "ids": sp.encode(t)} for t in texts]
    json.dump({"pieces": pieces, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
