#!/usr/bin/env python3
"""HF transformers' training step on the token batches of bench/train_bench.cpp.

Random weights of a bench/shapes/*.json shape, the same sequences (splitmix64 draws from --seed,
as train_bench's Stream), forward + backward + clip + AdamW, timed step by step:

  python3 bench/hf_train_bench.py --shape bench/shapes/qwen2.5-0.5b.json [--batch fixed|mix]

Precision --precision amp (default) is HF Trainer's bf16=True: float32 weights (the AdamW
masters), bf16 autocast, fused AdamW. --precision bf16 trains bf16 weights directly (no masters).
Attention: flash_attention_2 when the flash_attn package is installed, else sdpa. The mix batch
is packed into one row per micro-batch with restarting position_ids under flash_attention_2 (HF's
padding-free path), padded to the longest sequence of each --micro sequences under sdpa.
MFU uses train_bench's formula: (6 N T + 6 L H D sum(len^2)) / time / 989e12.
"""
import argparse
import importlib.util
import json
import time

import torch
import torch.nn.functional as F
import transformers

PEAK_BF16 = 989e12
MASK64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class Stream:
    def __init__(self, seed):
        self.next = seed

    def draw(self):
        v = splitmix64(self.next)
        self.next += 1
        return v


def step_sequences(stream, args, vocab):
    """One step's sequences, input tokens + 1 each, drawn as train_bench draws them."""
    n = args.rows if args.batch == "fixed" else args.mix_seqs
    out = []
    for _ in range(n):
        length = args.seq if args.batch == "fixed" else 100 + stream.draw() % 1401
        out.append([stream.draw() % vocab for _ in range(length + 1)])
    return out


def micro_batches(seqs, args, device):
    """(input_ids, position_ids or None, attention_mask or None, labels) per micro-batch."""
    out = []
    for start in range(0, len(seqs), args.micro):
        part = seqs[start:start + args.micro]
        if args.attn == "flash_attention_2":  # padding-free: one row, positions restart
            ids = torch.tensor([t for s in part for t in s[:-1]], device=device).unsqueeze(0)
            labels = torch.tensor([t for s in part for t in s[1:]], device=device).unsqueeze(0)
            pos = torch.tensor([i for s in part for i in range(len(s) - 1)], device=device).unsqueeze(0)
            out.append((ids, pos, None, labels))
            continue
        width = max(len(s) - 1 for s in part)
        ids = torch.zeros(len(part), width, dtype=torch.long)
        labels = torch.full((len(part), width), -100, dtype=torch.long)
        mask = torch.zeros(len(part), width, dtype=torch.long)
        for r, s in enumerate(part):
            ids[r, :len(s) - 1] = torch.tensor(s[:-1])
            labels[r, :len(s) - 1] = torch.tensor(s[1:])
            mask[r, :len(s) - 1] = 1
        full = bool(mask.all())
        out.append((ids.to(device), None, None if full else mask.to(device), labels.to(device)))
    return out


def make_model(args):
    with open(args.shape) as f:
        cfg = json.load(f)
    config = transformers.AutoConfig.for_model(**cfg)
    dtype = torch.float32 if args.precision == "amp" else torch.bfloat16
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=args.attn)
    model.train()
    if args.ckpt_act:
        model.gradient_checkpointing_enable()
    return model, config


def train_step(model, opt, micros, tokens, args):
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.precision == "amp")
    total = torch.zeros((), device="cuda")
    for ids, pos, mask, labels in micros:
        with autocast:
            logits = model(input_ids=ids, position_ids=pos, attention_mask=mask).logits
        loss = F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum")
        (loss / tokens).backward()
        total += loss.detach()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", required=True)
    p.add_argument("--batch", choices=["fixed", "mix"], default="fixed")
    p.add_argument("--rows", type=int, default=8)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--mix-seqs", type=int, default=20)
    p.add_argument("--micro", type=int, default=0, help="sequences per micro-batch (0: all of the step's)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--precision", choices=["amp", "bf16"], default="amp")
    p.add_argument("--attn", default="auto", help="auto | sdpa | flash_attention_2 | eager")
    p.add_argument("--ckpt-act", action="store_true")
    p.add_argument("--profile", type=int, default=0, help="profile one more step, print its N top kernels")
    args = p.parse_args()
    if args.attn == "auto":
        args.attn = "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"
    n_seqs = args.rows if args.batch == "fixed" else args.mix_seqs
    if args.micro == 0:
        args.micro = n_seqs

    model, config = make_model(args)
    n_matmul = sum(p.numel() for n, p in model.named_parameters()
                   if "embed_tokens" not in n or config.tie_word_embeddings)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.0, fused=True)
    heads, head_dim = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    print(f"hf_train_bench {args.shape}: {n_matmul / 1e6:.1f}M matmul params, transformers "
          f"{transformers.__version__}, {args.precision}, attention {args.attn}, batch {args.batch} "
          f"({n_seqs} seqs/step), micro {args.micro}{', activation checkpointing' if args.ckpt_act else ''}")
    print("| step | tokens | s | tokens/s | MFU | loss |\n|---|---|---|---|---|---|")
    stream = Stream(args.seed)

    def one_step():
        seqs = step_sequences(stream, args, config.vocab_size)
        tokens = sum(len(s) - 1 for s in seqs)
        squares = sum((len(s) - 1) ** 2 for s in seqs)
        micros = micro_batches(seqs, args, "cuda")
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = train_step(model, opt, micros, tokens, args).item() / tokens
        secs = time.perf_counter() - t0
        flops = 6.0 * n_matmul * tokens + 6.0 * config.num_hidden_layers * heads * head_dim * squares
        return tokens, flops, secs, loss

    sums = [0.0, 0.0, 0.0]
    times = []
    for i in range(args.warmup + args.steps):
        tokens, flops, secs, loss = one_step()
        warm = " (warm-up)" if i < args.warmup else ""
        print(f"| {i + 1}{warm} | {tokens} | {secs:.3f} | {tokens / secs:.0f} | "
              f"{100 * flops / secs / PEAK_BF16:.1f}% | {loss:.4f} |")
        if i >= args.warmup:
            sums = [sums[0] + tokens, sums[1] + flops, sums[2] + secs]
            times.append(secs)
    tps, mfu = sums[0] / sums[2], sums[1] / sums[2] / PEAK_BF16
    peak = torch.cuda.max_memory_allocated() / 2**30
    spread = max(times) / min(times)
    print(f"mean of {args.steps} steps: {tps:.0f} tokens/s, MFU {100 * mfu:.1f}%, max/min step time "
          f"{spread:.2f}, peak allocated {peak:.2f} GiB")
    print("RESULT " + json.dumps({"impl": "hf", "attn": args.attn, "tokens_per_s": tps, "mfu": mfu,
                                  "peak_gib": peak, "step_spread": spread}))
    if args.profile > 0:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            one_step()
        try:
            print(prof.key_averages().table(sort_by="self_device_time_total", row_limit=args.profile))
        except (AttributeError, KeyError):  # older torch names it after CUDA
            print(prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=args.profile))


if __name__ == "__main__":
    main()
