"""HF transformers generate() on the same random-weight shapes as rollout_bench, for the ratio.

bf16, SDPA attention, sampling (temperature 1), n samples per prompt via num_return_sequences,
min_new_tokens = max_new_tokens so that every row generates exactly --new-tokens. `batch` counts
sequences (batch / n prompts), as in rollout_bench. Each cache setting is timed after a short
warm-up; the best is the one to compare with.

  python3 bench/hf_generate_bench.py --shape bench/shapes/qwen2.5-0.5b.json --batch 64,256
"""
import argparse
import json
import time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True)
    ap.add_argument("--batch", default="64,256")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--prompt-len", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=512)
    ap.add_argument("--caches", default="dynamic,static", help="cache_implementation values to time")
    args = ap.parse_args()

    config = transformers.AutoConfig.for_model(**json.load(open(args.shape)))
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
    model = model.cuda().eval()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, {args.shape}: "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, bf16, sdpa")
    print("| batch | n | prompt | new | cache | tokens/s | total s |")
    print("|---|---|---|---|---|---|---|")
    for batch in [int(b) for b in args.batch.split(",")]:
        prompts = max(1, batch // args.n)
        ids = torch.randint(0, config.vocab_size, (prompts, args.prompt_len), device="cuda")
        mask = torch.ones_like(ids)
        for cache in args.caches.split(","):
            def run(new):
                kw = dict(do_sample=True, temperature=1.0, top_p=1.0, top_k=0, num_return_sequences=args.n,
                          max_new_tokens=new, min_new_tokens=new, pad_token_id=0)
                if cache != "dynamic":
                    kw["cache_implementation"] = cache
                return model.generate(input_ids=ids, attention_mask=mask, **kw)
            with torch.no_grad():
                run(8)  # warm-up
                torch.cuda.synchronize()
                t0 = time.time()
                out = run(args.new_tokens)
                torch.cuda.synchronize()
                dt = time.time() - t0
            generated = (out.shape[1] - args.prompt_len) * out.shape[0]
            print(f"| {out.shape[0]} | {args.n} | {args.prompt_len} | {args.new_tokens} | {cache} | {generated / dt:.0f} | {dt:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
