#!/usr/bin/env python3
"""Writes tests/fixtures/losses/*.json: independent float64 references for trainer/.

Pure Python (stdlib only, plain loops), so the C++ losses are checked against code that shares
nothing with them. Every loss is a function of the logits; its gradient with respect to the
logits is computed analytically and cross-checked here by central finite differences before
anything is written. Inputs are small and hand-chosen; the C++ tests feed the same logits.

Run from the repository root: python3 scripts/make_loss_fixtures.py
"""
import json
import math
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "losses")


# ---- log-probs of targets and their chain rule to the logits --------------------------------
def log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - lse for x in row]


def token_logprobs(logits, targets):
    return [[log_softmax(logits[b][t])[targets[b][t]] for t in range(len(targets[b]))]
            for b in range(len(targets))]


def chain_to_logits(logits, targets, dlogp):
    """d loss / d logits[b][t][v] = dlogp[b][t] * (1[v == target] - softmax[v])."""
    out = []
    for b, rows in enumerate(logits):
        out.append([])
        for t, row in enumerate(rows):
            p = [math.exp(x) for x in log_softmax(row)]
            out[b].append([dlogp[b][t] * ((1.0 if v == targets[b][t] else 0.0) - p[v]) for v in range(len(row))])
    return out


def finite_difference(f, logits, h=1e-5):
    grad = []
    for b, rows in enumerate(logits):
        grad.append([])
        for t, row in enumerate(rows):
            grad[b].append([])
            for v in range(len(row)):
                keep = row[v]
                row[v] = keep + h
                up = f(logits)
                row[v] = keep - h
                down = f(logits)
                row[v] = keep
                grad[b][t].append((up - down) / (2 * h))
    return grad


def assert_close(a, b, tol, what):
    flat_a, flat_b = flatten(a), flatten(b)
    assert len(flat_a) == len(flat_b), what
    worst = max(abs(x - y) for x, y in zip(flat_a, flat_b))
    assert worst < tol, f"{what}: analytic vs finite-difference gradient differ by {worst}"


def flatten(x):
    if isinstance(x, list):
        return [y for item in x for y in flatten(item)]
    return [x]


# ---- SFT: masked token-level cross-entropy --------------------------------------------------
def sft(logp, mask):
    """Returns (sum of -logp over masked-in tokens, token count, d mean / d logp)."""
    total, count = 0.0, 0
    for b in range(len(mask)):
        for t in range(len(mask[b])):
            if mask[b][t]:
                total -= logp[b][t]
                count += 1
    dlogp = [[-1.0 / count if m else 0.0 for m in row] for row in mask]
    return total, count, dlogp


# ---- GRPO ------------------------------------------------------------------------------------
def group_advantages(rewards, group, scale_by_std, eps):
    adv, zero_var = [], []
    for g in range(0, len(rewards), group):
        r = rewards[g:g + group]
        mean = sum(r) / group
        std = math.sqrt(sum((x - mean) ** 2 for x in r) / (group - 1))  # Bessel, as torch.std
        same = all(x == r[0] for x in r)
        for x in r:
            if same:
                adv.append(0.0)
            elif scale_by_std:
                adv.append((x - mean) / (std + eps))
            else:
                adv.append(x - mean)
            zero_var.append(same)
    return adv, zero_var


def kl_term(estimator, d):
    """Per-token KL estimate and its derivative, d = logp - ref_logp."""
    if estimator == "k1":
        return d, 1.0
    if estimator == "k2":
        return 0.5 * d * d, d
    return math.exp(-d) + d - 1.0, 1.0 - math.exp(-d)


def grpo(logp, old, ref, adv, mask, o):
    """Returns the loss (sum / normalizer), sum, normalizer, metrics and d loss / d logp."""
    lo, hi = 1.0 - o["clip_eps"], 1.0 + o["clip_eps_high"]
    per_tok, dper_tok = [], []
    m = {"pg_sum": 0.0, "kl_sum": 0.0, "ratio_sum": 0.0, "clipped_low": 0, "clipped_high": 0, "tokens": 0}
    for b in range(len(mask)):
        per_tok.append([])
        dper_tok.append([])
        a = adv[b]
        for t in range(len(mask[b])):
            if not mask[b][t]:
                per_tok[b].append(0.0)
                dper_tok[b].append(0.0)
                continue
            ratio = math.exp(logp[b][t] - old[b][t])
            clipped = min(max(ratio, lo), hi)
            pg = -min(ratio * a, clipped * a)
            low_active = a < 0 and ratio < lo
            high_active = a > 0 and ratio > hi
            for bound in (lo, hi):  # finite differences need distance from the kinks
                assert abs(ratio - bound) > 1e-3, "ratio too close to a clip bound"
            dpg = 0.0 if (low_active or high_active) else -a * ratio
            kl, dkl = kl_term(o["kl_estimator"], logp[b][t] - ref[b][t])
            per_tok[b].append(pg + o["beta"] * kl)
            dper_tok[b].append(dpg + o["beta"] * dkl)
            m["pg_sum"] += pg
            m["kl_sum"] += kl
            m["ratio_sum"] += ratio
            m["clipped_low"] += low_active
            m["clipped_high"] += high_active
            m["tokens"] += 1
    total, weights = 0.0, []
    if o["loss_agg"] == "token_mean":
        normalizer = m["tokens"]
        for b in range(len(mask)):
            total += sum(per_tok[b])
            weights.append(1.0 / normalizer)
    else:
        counts = [sum(1 for x in row if x) for row in mask]
        normalizer = sum(1 for n in counts if n > 0)
        for b, n in enumerate(counts):
            total += sum(per_tok[b]) / n if n else 0.0
            weights.append(1.0 / (n * normalizer) if n else 0.0)
    dlogp = [[dper_tok[b][t] * weights[b] for t in range(len(mask[b]))] for b in range(len(mask))]
    return total / normalizer, total, normalizer, m, dlogp


# ---- BCE with logits -------------------------------------------------------------------------
def bce(x, y):
    total = sum(max(a, 0.0) - a * c + math.log1p(math.exp(-abs(a))) for a, c in zip(x, y))
    grad = [(1.0 / (1.0 + math.exp(-a)) - c) / len(x) for a, c in zip(x, y)]
    return total, grad


# ---- AdamW, grad clipping, schedule -----------------------------------------------------------
def adamw(params, grads_per_step, lrs, o, decay_1d):
    """params: {name: flat list}; shapes only matter for the 1-D rule, given in o["shapes"]."""
    p = {k: list(v) for k, v in params.items()}
    m = {k: [0.0] * len(v) for k, v in params.items()}
    s = {k: [0.0] * len(v) for k, v in params.items()}
    history = []
    for step, (grads, lr) in enumerate(zip(grads_per_step, lrs), start=1):
        bc1, bc2 = 1.0 - o["beta1"] ** step, 1.0 - o["beta2"] ** step
        for k in p:
            decay = o["weight_decay"] if (decay_1d or len(o["shapes"][k]) > 1) else 0.0
            for i, g in enumerate(grads[k]):
                m[k][i] = o["beta1"] * m[k][i] + (1 - o["beta1"]) * g
                s[k][i] = o["beta2"] * s[k][i] + (1 - o["beta2"]) * g * g
                p[k][i] *= 1.0 - lr * decay
                p[k][i] -= lr * (m[k][i] / bc1) / (math.sqrt(s[k][i] / bc2) + o["eps"])
        history.append({k: list(v) for k, v in p.items()})
    return history, m, s


def lr_at(o, step):
    if step < o["warmup_steps"]:
        return o["lr"] * (step + 1) / o["warmup_steps"]
    if o["schedule"] == "constant":
        return o["lr"]
    span = max(1, o["total_steps"] - o["warmup_steps"])
    progress = min(1.0, (step - o["warmup_steps"]) / span)
    floor = o["min_lr_ratio"]
    return o["lr"] * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


# ---- fixture inputs ----------------------------------------------------------------------------
def random_logits(rng, b, t, v):
    return [[[rng.uniform(-2.0, 2.0) for _ in range(v)] for _ in range(t)] for _ in range(b)]


def random_targets(rng, b, t, v):
    return [[rng.randrange(v) for _ in range(t)] for _ in range(b)]


def make_sft(rng):
    logits, targets = random_logits(rng, 3, 5, 7), random_targets(rng, 3, 5, 7)
    mask = [[0, 0, 1, 1, 1], [0, 1, 1, 0, 0], [0, 0, 0, 1, 1]]  # prompt masked, then padding

    def loss(z):
        total, count, _ = sft(token_logprobs(z, targets), mask)
        return total / count

    total, count, dlogp = sft(token_logprobs(logits, targets), mask)
    grad = chain_to_logits(logits, targets, dlogp)
    assert_close(grad, finite_difference(loss, logits), 1e-8, "sft")
    return {"logits": logits, "targets": targets, "mask": mask, "loss": total / count, "sum": total,
            "count": count, "grad_logits": grad}


# Per-token log-ratio offsets: ratios 1.05, 1.65, 0.61, 1.25 (clipped at eps 0.2, not at 0.28),
# 0.90, 1.35, 0.70, 1.11, 0.50, 1.0, so both clip sides are active with either advantage sign.
RATIO_LOG_OFFSETS = [0.05, 0.5, -0.5, 0.22, -0.1, 0.3, -0.35, 0.1, -0.7, 0.0]
REF_OFFSETS = [0.3, -0.2, 0.1, -0.4, 0.05, 0.6, -0.15]
GRPO_MASK = [
    [0, 1, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 1, 1],
    [0, 0, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 1, 1, 1, 1],
    [0, 0, 1, 1, 0],
]
MASKED_OLD_LOGP = 1000.0  # garbage at masked positions: exp overflows; must not leak into the loss


def grpo_case(name, logits, targets, rewards, o, mask=GRPO_MASK, drop_zero_variance=False):
    logp = token_logprobs(logits, targets)
    B, T = len(mask), len(mask[0])
    old = [[logp[b][t] - RATIO_LOG_OFFSETS[(3 * b + t) % len(RATIO_LOG_OFFSETS)] if mask[b][t]
            else MASKED_OLD_LOGP for t in range(T)] for b in range(B)]
    ref = [[logp[b][t] - REF_OFFSETS[(2 * b + t) % len(REF_OFFSETS)] if mask[b][t] else -MASKED_OLD_LOGP
            for t in range(T)] for b in range(B)]
    adv, zero_var = group_advantages(rewards, o["group_size"], o["scale_by_std"], o["eps"])
    loss_mask = [[m and not (drop_zero_variance and zero_var[b]) for m in mask[b]] for b in range(B)]

    def loss(z):
        return grpo(token_logprobs(z, targets), old, ref, adv, loss_mask, o)[0]

    value, total, normalizer, metrics, dlogp = grpo(logp, old, ref, adv, loss_mask, o)
    grad = chain_to_logits(logits, targets, dlogp)
    assert_close(grad, finite_difference(loss, logits), 1e-8, name)
    return {"name": name, "options": o, "drop_zero_variance": drop_zero_variance, "logits": logits,
            "targets": targets, "mask": mask, "old_logp": old, "ref_logp": ref, "rewards": rewards,
            "advantages": adv, "zero_variance": zero_var, "loss": value, "sum": total,
            "normalizer": normalizer, "metrics": metrics, "grad_logits": grad}


def make_grpo(rng):
    logits, targets = random_logits(rng, 8, 5, 6), random_targets(rng, 8, 5, 6)
    base = {"group_size": 4, "scale_by_std": True, "eps": 1e-6, "beta": 0.08, "kl_estimator": "k3",
            "clip_eps": 0.2, "clip_eps_high": 0.2, "loss_agg": "token_mean"}
    rewards = [1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0]
    equal_group = [1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0]
    cases = []
    for est in ("k1", "k2", "k3"):
        cases.append(grpo_case(f"{est}_token_mean", logits, targets, rewards, dict(base, kl_estimator=est)))
    cases.append(grpo_case("k3_seq_mean", logits, targets, rewards, dict(base, loss_agg="seq_mean")))
    cases.append(grpo_case("dr_grpo", logits, targets, [0.5, 2.0, -1.0, 0.0, 1.0, 1.0, -1.0, 1.0],
                           dict(base, scale_by_std=False)))
    cases.append(grpo_case("clip_higher", logits, targets, rewards, dict(base, clip_eps_high=0.28)))
    cases.append(grpo_case("no_kl", logits, targets, rewards, dict(base, beta=0.0)))
    cases.append(grpo_case("zero_variance_kept", logits, targets, equal_group, base))
    cases.append(grpo_case("zero_variance_dropped_seq_mean", logits, targets, equal_group,
                           dict(base, loss_agg="seq_mean"), drop_zero_variance=True))
    empty_row = [list(r) for r in GRPO_MASK]
    empty_row[3] = [0, 0, 0, 0, 0]
    cases.append(grpo_case("seq_mean_empty_row", logits, targets, rewards, dict(base, loss_agg="seq_mean"),
                           mask=empty_row))
    high = {c["name"]: c["metrics"]["clipped_high"] for c in cases}
    assert all(c["metrics"]["clipped_low"] > 0 and c["metrics"]["clipped_high"] > 0 for c in cases[:4])
    assert high["clip_higher"] < high["k3_token_mean"], "clip-higher must unclip some tokens"
    return cases


def make_bce():
    x = [2.0, -1.5, 0.3, -0.2, 4.0, -3.0, 0.0]
    y = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    total, grad = bce(x, y)
    return {"logits": x, "labels": y, "loss": total / len(x), "sum": total, "count": len(x), "grad_logits": grad}


def make_adamw():
    o = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1,
         "shapes": {"w": [2, 3], "b": [3]}}
    params = {"w": [0.5, -0.25, 1.0, 0.125, -0.75, 0.0], "b": [0.25, -0.5, 1.5]}
    grads = [
        {"w": [0.25, -0.5, 0.125, 0.0, 1.0, -0.0625], "b": [0.5, 0.25, -1.0]},
        {"w": [-0.125, -0.25, 0.5, 0.375, 0.5, 0.0], "b": [0.0, 0.5, -0.5]},
        {"w": [0.5, 0.125, -0.25, -0.5, 0.25, 0.125], "b": [-0.25, 0.75, 0.25]},
    ]
    lrs = [1e-2, 5e-3, 2e-3]
    out = {"options": o, "params": params, "grads": grads, "lrs": lrs}
    for key, decay_1d in (("decay_matrices_only", False), ("decay_all", True)):
        history, m, s = adamw(params, grads, lrs, o, decay_1d)
        out[key] = {"params_after_step": history, "exp_avg": m, "exp_avg_sq": s}
    return out


def make_clip():
    grads = {"a": [0.5, -1.25, 2.0], "b": [[0.75, 0.0], [-0.5, 1.5]], "c": [3.0]}
    flat = flatten(list(grads.values()))
    norm = math.sqrt(sum(g * g for g in flat))
    cases = []
    for max_norm in (1.0, 100.0):
        scale = min(1.0, max_norm / (norm + 1e-6))
        cases.append({"max_norm": max_norm, "scale": scale,
                      "clipped": {k: [x * scale for x in flatten(v)] for k, v in grads.items()}})
    return {"grads": grads, "norm": norm, "cases": cases}


def make_schedule():
    steps = [0, 1, 4, 9, 10, 11, 50, 98, 99, 100, 150]
    out = []
    for schedule, ratio, warmup in (("constant", 0.0, 10), ("cosine", 0.0, 10), ("cosine", 0.1, 10),
                                    ("cosine", 0.1, 0)):
        o = {"lr": 1e-3, "warmup_steps": warmup, "total_steps": 100, "schedule": schedule, "min_lr_ratio": ratio}
        out.append({"options": o, "steps": steps, "lr": [lr_at(o, s) for s in steps]})
    return out


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20250417)
    write("sft.json", make_sft(rng))
    write("grpo.json", make_grpo(rng))
    write("bce.json", make_bce())
    write("adamw.json", make_adamw())
    write("clip.json", make_clip())
    write("schedule.json", make_schedule())


if __name__ == "__main__":
    main()
