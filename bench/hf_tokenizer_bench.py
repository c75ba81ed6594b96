#!/usr/bin/env python3
"""HF `tokenizers` throughput on the corpus bench/tokenizer_bench.cpp generates (same LCG, same
words; compare the printed fnv1a hash), one thread, documents split at blank lines.

    python3 bench/hf_tokenizer_bench.py [--mb 10] DIR...

Prints a cold and a warm pass per tokenizer directory, like the C++ bench, plus encode_batch
(all cores) for reference.
"""
import argparse
import os
import time

WORDS = [
    "the", "model", "reward", "tokenizer", "data", "loading", "is", "not", "a", "bottleneck", "It's", "we'll",
    "DON'T", "function", "return", "x", "=", "f(x)", "{", "}", "print(", ");", "Der", "schnelle", "Fuchs", "über",
    "Straße", "Ça", "va", "très", "bien", "Привет", "мир", "быстрая", "你好", "世界", "机器学习", "模型",
    "こんにちは", "カタカナ", "안녕하세요", "세계", "مرحبا", "بالعالم", "नमस्ते", "दुनिया", "Γειά", "σου",
    "😀", "👍🏽", "🎉", "café", "naïve", "e\u0301", "—", "...", "\"quoted\"", "(paren)", "#", "//", "<div>",
]
SEPARATORS = [" ", " ", " ", " ", " ", " ", "  ", "\n", "\t", ", ", ". ", "\n\n"]
MASK = (1 << 64) - 1


def make_corpus(n_bytes):
    state = 42

    def nxt():
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        return state >> 33

    parts, size = [], 0
    while size < n_bytes:
        kind = nxt() % 10
        w = WORDS[nxt() % len(WORDS)] if kind < 8 else str(nxt() % 1000000)
        s = SEPARATORS[nxt() % len(SEPARATORS)]
        parts.append(w + s)
        size += len((w + s).encode())
    return "".join(parts)


def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & MASK
    return h


def documents(corpus):
    docs, pos = [], 0
    while pos < len(corpus):
        end = corpus.find("\n\n", pos)
        end = len(corpus) if end < 0 else end + 2
        docs.append(corpus[pos:end])
        pos = end
    return docs


def main():
    from tokenizers import Tokenizer
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=10)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    corpus = make_corpus(int(args.mb * 1e6))
    raw = corpus.encode()
    docs = documents(corpus)
    print(f"corpus: {len(raw) / 1e6:.2f} MB, {len(docs)} documents, fnv1a {fnv1a(raw):016x}\n")
    print(f"{'tokenizer':40} {'tokens':>12} {'cold s':>10} {'cold tok/s':>14} {'warm s':>10} {'warm tok/s':>14}"
          f" {'batch tok/s':>14} {'ids fnv1a':>18}")
    for d in args.dirs:
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            n = sum(len(tok.encode(x, add_special_tokens=False).ids) for x in docs)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        nb = sum(len(e.ids) for e in tok.encode_batch(docs, add_special_tokens=False))
        tb = time.perf_counter() - t0
        h = 1469598103934665603
        for x in docs:
            for i in tok.encode(x, add_special_tokens=False).ids:
                h = ((h ^ i) * 1099511628211) & MASK
        print(f"{d:40} {n:12d} {times[0]:10.3f} {n / times[0]:14.0f} {times[1]:10.3f} {n / times[1]:14.0f}"
              f" {nb / tb:14.0f} {h:18x}")


if __name__ == "__main__":
    main()
