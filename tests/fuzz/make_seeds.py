#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the test
fixtures: a few small, valid inputs per target for libFuzzer to mutate. Run from anywhere; the
output is deterministic. Crash reproducers (crash-*) in the same folders are kept."""
import json
import struct
from pathlib import Path

root = Path(__file__).resolve().parents[2]
corpus = root / "tests" / "fuzz" / "corpus"


def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, data, offset = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def small_tokenizer(name, keep=300):
    """The fixture's tokenizer.json with its vocabulary cut to ids < keep (and merges within it)."""
    j = json.loads((root / "tests/fixtures/tokenizers" / name / "tokenizer.json").read_text())
    model = j["model"]
    if isinstance(model.get("vocab"), dict):
        model["vocab"] = {t: i for t, i in model["vocab"].items() if i < keep}
    elif isinstance(model.get("vocab"), list):
        model["vocab"] = model["vocab"][:keep]
    if "merges" in model:
        vocab = model["vocab"] if isinstance(model["vocab"], dict) else {}
        def ok(m):
            a, b = m.split(" ", 1) if isinstance(m, str) else m
            return a in vocab and b in vocab and a + b in vocab
        model["merges"] = [m for m in model["merges"] if ok(m)][:50]
    j["added_tokens"] = [t for t in j.get("added_tokens", []) if t["id"] < keep + 50][:5]
    return json.dumps(j, ensure_ascii=False)


write("safetensors_header", "two", safetensors(
    [("a", "F32", [2], struct.pack("<2f", 1, 2)), ("b", "BF16", [1, 2], b"\x80\x3f\x00\x40")], {"format": "pt"}))
write("safetensors_header", "empty", safetensors([]))
write("safetensors_header", "scalar", safetensors([("s", "I64", [], struct.pack("<q", 7))]))

for name in ("gpt2", "llama2_sp", "metaspace_sp"):
    write("tokenizer", f"json-{name}", b"\x00" + small_tokenizer(name).encode())
for i, text in enumerate(["Hello world!", "  héllo\n\tWörld 世界 🙂 123456", "<|endoftext|> a<s>b </s>"]):
    write("tokenizer", f"text-{i}", bytes([1 + 2 * (i % 2)]) + text.encode())

write("chat_template", "chat", b"\x01" + json.dumps([
    {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "2+2?"}]).encode())
write("chat_template", "thinking", b"\x07" + json.dumps([
    {"role": "user", "content": "Why?"},
    {"role": "assistant", "content": "Because.", "reasoning_content": "think"}]).encode())
write("chat_template", "template", b"\x00{% for message in messages %}<|im_start|>{{ message['role'] }}")

write("config", "default", (root / "configs/default.yaml").read_text())
write("config", "set", "run_dir: r\nstages: [sft, eval]\nsft: {lr: 1.0e-5, steps: 3}\n--set\nrollout.top_k=5\n"
                       "eval.k=[1, 4]\nseed=9\n")

bench = (root / "tests/fixtures/eval/mini_bench.jsonl").read_text().splitlines()
write("jsonl_items", "rm", "\x00" + "\n".join(bench[:4]) + "\n")
grm = (root / "tests/fixtures/rewards/grm_outputs.jsonl").read_text().splitlines()
write("jsonl_items", "reward", "\x01" + "\n".join(grm[:5]) + "\n")
write("jsonl_items", "teacher", "\x02" + json.dumps({
    "id": "t1", "subset": "arithmetic", "prompt": "What is 3 + 4?", "responses": ["7", "8"], "best": 0,
    "task": {"domain": "arithmetic", "a": 3, "op": "+", "b": 4}}))

for i, (n, text) in enumerate([(2, "Principles:\n1. Accuracy (weight 60%)\nCritique: ok\nScores: \\boxed{9, 2}"),
                               (3, "Scores: \\boxed{3, 8, 10}"), (1, "Scores: \\boxed{1}"),
                               (2, "\\boxed{1, 2} then Scores: \\boxed{-4, +9}")]):
    write("score_parser", str(i), bytes([n - 1]) + text.encode())
