#!/usr/bin/env python3
"""Writes configs/demo_model/: the demo's from-scratch model directory (config.json,
generation_config.json) with a small byte-level BPE tokenizer (tokenizer.json, tokenizer_config.json)
trained on the demo's synthetic data.

Why: a byte-level model spends about three tokens on what one BPE token holds here ("46", " Response",
" wrong"; 2.97 bytes per token on the demo's data), so every training step is three times longer
and the model must learn to copy and look up text byte by byte.
The demo model (configs/demo.yaml: model.path configs/demo_model, model.from_scratch true) has the
built-in tiny model's architecture (4 layers, hidden 128) over this vocabulary.

The tokenizer is HF's format (the Llama-3 pre-tokenizer regex, ByteLevel, BPE merges, ChatML
special tokens), so the trained judge exports and loads in HF transformers like any other; the C++
tokenizer reproduces HF tokenizers on it (tests/fixtures/tokenizers/demo/cases.json, test_tokenizer).
Training is plain BPE: count the pre-tokens of the corpus, merge the most frequent adjacent pair
(ties: the smaller pair) until the vocabulary has --vocab entries. Deterministic; pure Python.

    bash scripts/demo.sh build/spct /tmp/tok --set stages=[]   # the demo's data (then it stops: no stages)
    python3 scripts/make_demo_tokenizer.py --data /tmp/tok/data --out configs/demo_model
    python3 scripts/make_tokenizer_fixtures.py --out tests/fixtures/tokenizers --demo configs/demo_model  # HF cases

The evaluation splits (test*.jsonl, valid*.jsonl) are not read.
"""
import argparse
import collections
import glob
import json
import os

import regex

LLAMA3_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                  r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters (HF ByteLevel)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def corpus_texts(data_dir):
    """Every prompt, response, trajectory and chat turn of the JSONL files in data_dir, except the
    evaluation splits (test*.jsonl, valid*.jsonl)."""
    for path in sorted(glob.glob(os.path.join(data_dir, "*.jsonl"))):
        if os.path.basename(path).startswith(("test", "valid")):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                j = json.loads(line)
                for key in ("prompt", "text", "chosen", "rejected", "response"):
                    if isinstance(j.get(key), str):
                        yield j[key]
                for r in j.get("responses", []):
                    yield r
                for m in j.get("messages", []):
                    yield m["role"] + "\n"  # the chat template's text between <|im_start|> and the content
                    yield m["content"]
                if isinstance(j.get("text"), str):  # a judge prompt and its trajectory are chat turns
                    yield "user\n"
                    yield "assistant\n"


def train_bpe(texts, vocab_size):
    byte_char = bytes_to_unicode()
    words = collections.Counter()
    pattern = regex.compile(LLAMA3_PATTERN)
    for text in texts:
        for piece in pattern.findall(text):
            words[tuple(byte_char[b] for b in piece.encode("utf-8"))] += 1
    vocab = [byte_char[b] for b in range(256)]
    merges = []
    while len(vocab) + len(SPECIALS) < vocab_size:
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        vocab.append(best[0] + best[1])
        merged = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return vocab, merges, words


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory of the demo's JSONL files (synth + teacher)")
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--vocab", type=int, default=1024, help="vocabulary size, special tokens included")
    args = ap.parse_args()

    texts = list(corpus_texts(args.data))
    vocab, merges, words = train_bpe(texts, args.vocab)
    byte_count = sum(len(t.encode("utf-8")) for t in texts)
    token_count = sum(len(w) * c for w, c in words.items())
    ids = {tok: i for i, tok in enumerate(vocab)}
    special_ids = {s: len(vocab) + i for i, s in enumerate(SPECIALS)}
    total = len(vocab) + len(SPECIALS)

    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": special_ids[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for s in SPECIALS],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": ids, "merges": [[a, b] for a, b in merges]},
    }
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": total,
        "hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 4, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": True, "attention_bias": False,
        "mlp_bias": False, "bos_token_id": None, "eos_token_id": [special_ids["<|im_end|>"], special_ids["<|endoftext|>"]],
        "pad_token_id": special_ids["<|endoftext|>"], "torch_dtype": "float32",
    }
    tok_config = {
        "add_bos_token": False, "add_eos_token": False, "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 2048,
        "tokenizer_class": "PreTrainedTokenizerFast", "chat_template": CHATML_TEMPLATE,
        "added_tokens_decoder": {str(special_ids[s]): {"content": s, "lstrip": False, "normalized": False,
                                                       "rstrip": False, "single_word": False, "special": True}
                                 for s in SPECIALS},
    }
    generation = {"eos_token_id": config["eos_token_id"], "pad_token_id": config["pad_token_id"]}
    os.makedirs(args.out, exist_ok=True)
    for name, obj in (("tokenizer.json", tokenizer), ("config.json", config), ("tokenizer_config.json", tok_config),
                      ("generation_config.json", generation)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1 if name != "tokenizer.json" else None)
            f.write("\n")
    print(f"{args.out}: vocabulary {total} ({len(merges)} merges), {len(texts)} texts, "
          f"{byte_count / max(token_count, 1):.2f} bytes per token on the corpus")


if __name__ == "__main__":
    main()
