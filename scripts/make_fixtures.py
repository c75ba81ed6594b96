#!/usr/bin/env python3
"""Writes the model parity fixtures: for each family a tiny random-init HF model directory plus
reference outputs computed by HF transformers.

Run where PyTorch and transformers are installed (the GPU machine):
    python3 scripts/make_fixtures.py --out tests/fixtures/models
Each family gets DIR/<family>/ with config.json, model.safetensors (qwen2: sharded with an index),
and reference.safetensors holding, for each test sequence i:
    ids_i       (T,)   int64  input tokens
    logits_i    (T, V) f32    fp32 CPU logits (eager attention)
    greedy_i    (G,)   int64  greedy continuation of ids_i, G new tokens
    logits_bf16_i (T, V) f32  bf16 CUDA logits, only when CUDA is available
The models are tiny (hidden 48, 6 query heads over 2 KV heads, 3 layers) with weights scaled up
and norms randomized so that a wrong norm, rope or soft-cap shows in the logits.
"""
import argparse
import json
import os
import shutil

import torch
import transformers
from safetensors.torch import save_file

VOCAB = 320
SEQ_LENS = (5, 11, 16)
GREEDY_NEW = 8


def rope(theta, **scaling):
    return dict(rope_type=scaling.pop("rope_type", "default"), rope_theta=theta, **scaling)


def make_config(family):
    common = dict(vocab_size=VOCAB, hidden_size=48, intermediate_size=96, num_hidden_layers=3,
                  num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=256,
                  bos_token_id=1, eos_token_id=2, pad_token_id=0)
    if family == "llama":
        return transformers.LlamaConfig(
            **common, rms_norm_eps=1e-5, tie_word_embeddings=False,
            rope_parameters=rope(10000.0, rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                 high_freq_factor=4.0, original_max_position_embeddings=64))
    if family == "qwen2":
        return transformers.Qwen2Config(**common, rms_norm_eps=1e-6, tie_word_embeddings=False,
                                        rope_parameters=rope(1000000.0))
    if family == "qwen3":
        return transformers.Qwen3Config(**common, head_dim=16, rms_norm_eps=1e-6,
                                        tie_word_embeddings=True, rope_parameters=rope(1000000.0))
    if family == "gemma2":
        return transformers.Gemma2Config(
            **common, head_dim=16, query_pre_attn_scalar=12, sliding_window=4,
            attn_logit_softcapping=5.0, final_logit_softcapping=3.0, rms_norm_eps=1e-6,
            hidden_activation="gelu_pytorch_tanh", rope_parameters=rope(10000.0))
    raise ValueError(family)


def randomize(model, family, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                center = 0.0 if family == "gemma2" else 1.0  # Gemma's RMSNorm scales by (1 + w)
                p.copy_(center + 0.5 * (torch.rand(p.shape, generator=gen) - 0.5))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=gen))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--families", default="llama,qwen2,qwen3,gemma2")
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    for family in args.families.split(","):
        gen = torch.Generator().manual_seed(1234)
        config = make_config(family)
        config._attn_implementation = "eager"
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager")
        model = model.float().eval()
        randomize(model, family, gen)
        out = os.path.join(args.out, family)
        shutil.rmtree(out, ignore_errors=True)
        # qwen2 is written sharded so that the index path is covered too.
        shard = "60KB" if family == "qwen2" else "50MB"
        model.save_pretrained(out, safe_serialization=True, max_shard_size=shard)
        ref = {}
        for i, t in enumerate(SEQ_LENS):
            ids = torch.randint(3, VOCAB, (1, t), generator=gen)
            with torch.no_grad():
                logits = model(ids).logits[0]
                greedy = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                        max_new_tokens=GREEDY_NEW, min_new_tokens=GREEDY_NEW,
                                        eos_token_id=None, pad_token_id=0)[0, t:]
            ref[f"ids_{i}"] = ids[0].clone()
            ref[f"logits_{i}"] = logits.float().contiguous()
            ref[f"greedy_{i}"] = greedy.clone()
        if torch.cuda.is_available():
            gpu = model.to("cuda", torch.bfloat16)
            for i in range(len(SEQ_LENS)):
                with torch.no_grad():
                    ref[f"logits_bf16_{i}"] = gpu(ref[f"ids_{i}"][None].cuda()).logits[0].float().cpu()
        save_file(ref, os.path.join(out, "reference.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})
        print(family, "->", out, sorted(os.listdir(out)))


if __name__ == "__main__":
    main()
