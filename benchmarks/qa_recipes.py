"""Held-out exact match of Sheet 3.2's extractive QA model under different training recipes.

The judge calls ``train_extractive_qa(examples, **QA_SETTINGS, seed=...)`` and requires
``QA_ACCURACY_THRESHOLD``; a fair threshold is one every recipe the notebook allows reaches at those
settings, with margin, on every seed. This script trains the reference's ``ExtractiveQAModel`` on
the given ``qa_config`` with each recipe (batch size, optimizer, schedule, clipping, batching style)
at the judge's settings (or ``--n-steps``/``--lr``) and prints a markdown table recipe x seed ->
held-out exact match (the judge's measurement, ``ref.qa_exact_match``) and CPU seconds of the
training calls (``time.process_time``, one torch thread). Like the judge, a run below ``QA_RETRY_BELOW``
is repeated with ``QA_RETRY_STEPS`` steps (``--retry-steps 0``: never) and the better run is graded.
Recipes outside the notebook's batch range are marked and expected to fail; ``--check`` exits 1 when an allowed recipe misses
threshold + ``--margin`` on any seed.

    PYTHONPATH=. python benchmarks/qa_recipes.py                        # every recipe, seeds 0-2
    PYTHONPATH=. python benchmarks/qa_recipes.py --seeds 0 --recipes b16-adam b64-adam

Results are recorded in docs/benchmarks.md ("QA training recipes").
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import torch

import reference.sheet_3_2 as ref
from reference.sheet_3_2._given import given
from reference.sheet_3_2.qa_model import ExtractiveQAModel
from reference.sheet_3_2.schedules import make_cosine_scheduler


@dataclass(frozen=True)
class Recipe:
    batch: int
    optimizer: str  # "adam" | "adamw"
    schedule: str  # "none" | "cosine" (ours, 10% warm-up) | "sequential" (LinearLR then CosineAnnealingLR)
    batching: str  # "hand" (random permutations) | "loader" (a shuffling DataLoader) | "randint"
    clip: float = 0.0  # gradient clipping by norm (0: none)


RECIPES: dict[str, Recipe] = {
    # outside the notebook's batch range (expected to fail or to be uneven across seeds)
    "b1-adam": Recipe(1, "adam", "none", "hand"),
    # DESIGN.md section 6 states batches of 8 to 64: every recipe from here on is one a student may write
    "b8-adam": Recipe(8, "adam", "none", "hand"),
    "b8-adam-loader": Recipe(8, "adam", "none", "loader"),  # the alternative qa_batch8_adam_dataloader
    "b8-adamw-cos": Recipe(8, "adamw", "cosine", "randint"),
    "b8-adamw-seq": Recipe(8, "adamw", "sequential", "hand"),
    "b16-adam": Recipe(16, "adam", "none", "loader"),
    "b16-adamw-cos": Recipe(16, "adamw", "cosine", "randint"),
    "b16-adamw-cos-clip": Recipe(16, "adamw", "cosine", "hand", clip=1.0),
    "b24-adamw-cos": Recipe(24, "adamw", "cosine", "hand"),
    "b32-adam": Recipe(32, "adam", "none", "loader"),  # the alternative qa_batch32_adam_dataloader
    "b32-adamw-cos-clip": Recipe(32, "adamw", "cosine", "hand", clip=1.0),  # the reference
    "b32-adamw-cos": Recipe(32, "adamw", "cosine", "randint"),  # the complete example's loop
    "b40-adamw-cos": Recipe(40, "adamw", "cosine", "hand"),  # the alternative qa_model_own_loss_and_cell
    "b64-adam": Recipe(64, "adam", "none", "hand"),
    "b64-adamw-seq": Recipe(64, "adamw", "sequential", "randint"),  # the alternative qa_batch64_sequentiallr
    "b64-adamw-cos": Recipe(64, "adamw", "cosine", "loader"),
}


def allowed(recipe: Recipe) -> bool:
    lo, hi = ref.QA_BATCH_RANGE
    return lo <= recipe.batch <= hi


def batches(n_examples: int, batch_size: int, style: str, seed: int):
    """Endless index batches: a DataLoader, hand-made random permutations, or ``torch.randint``."""
    generator = torch.Generator().manual_seed(seed)
    if style == "loader":
        loader = torch.utils.data.DataLoader(range(n_examples), batch_size=batch_size, shuffle=True,
                                             generator=generator, drop_last=True)
        while True:
            yield from (torch.as_tensor(b) for b in loader)
    if style == "randint":
        while True:
            yield torch.randint(n_examples, (batch_size,), generator=generator)
    while True:
        order = torch.randperm(n_examples, generator=generator)
        for first in range(0, n_examples - batch_size + 1, batch_size):
            yield order[first : first + batch_size]


def make_scheduler(optimizer, schedule: str, n_steps: int, lr: float):
    if schedule == "cosine":
        return make_cosine_scheduler(optimizer, total_steps=n_steps, warmup_steps=n_steps // 10)
    if schedule == "sequential":
        warmup = max(1, n_steps // 20)
        return torch.optim.lr_scheduler.SequentialLR(optimizer, [
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.05, total_iters=warmup),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n_steps - warmup, eta_min=lr / 20),
        ], milestones=[warmup])
    return None


def make_config(overrides: list[str]):
    """The given ``qa_config`` with ``NAME=VALUE`` overrides (``--config initializer_range=0.2``)."""
    config = given.make_qa_config()
    for item in overrides:
        name, value = item.split("=", 1)
        current = getattr(config, name)
        setattr(config, name, type(current)(value) if current is not None else float(value))
    return config


def train(examples: list[dict], recipe: Recipe, *, n_steps: int, lr: float, seed: int,
          config=None) -> ExtractiveQAModel:
    torch.manual_seed(seed)
    model = ExtractiveQAModel(config if config is not None else given.make_qa_config())
    data = {key: torch.stack([torch.as_tensor(e[key]).long() for e in examples])
            for key in ("input_ids", "attention_mask")}
    starts = torch.tensor([int(e["start_positions"]) for e in examples])
    ends = torch.tensor([int(e["end_positions"]) for e in examples])
    optimizer = (torch.optim.AdamW(model.parameters(), lr=lr) if recipe.optimizer == "adamw"
                 else torch.optim.Adam(model.parameters(), lr=lr))
    scheduler = make_scheduler(optimizer, recipe.schedule, n_steps, lr)
    model.train()
    source = batches(len(examples), recipe.batch, recipe.batching, seed)
    for _ in range(n_steps):
        batch = next(source)
        out = model(data["input_ids"][batch], data["attention_mask"][batch], starts[batch], ends[batch])
        optimizer.zero_grad()
        out["loss"].backward()
        if recipe.clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return model.eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--n-steps", type=int, default=ref.QA_SETTINGS["n_steps"])
    parser.add_argument("--lr", type=float, default=ref.QA_SETTINGS["lr"])
    parser.add_argument("--retry-steps", type=int, default=ref.QA_RETRY_STEPS,
                        help="as the judge: a run below QA_RETRY_BELOW is repeated with this many steps (0: never)")
    parser.add_argument("--config", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override fields of the given qa_config (e.g. initializer_range=0.2)")
    parser.add_argument("--margin", type=float, default=0.1, help="--check: required accuracy above the threshold")
    parser.add_argument("--check", action="store_true", help="exit 1 if an allowed recipe misses threshold + margin")
    args = parser.parse_args()
    torch.set_num_threads(1)
    examples = ref.judge_qa_examples()
    config = make_config(args.config)
    print(f"n_steps={args.n_steps} lr={args.lr:g} max_length={ref.QA_MAX_LENGTH} threshold={ref.QA_ACCURACY_THRESHOLD:.0%} "
          f"batch range {ref.QA_BATCH_RANGE}; qa_config n_embd={config.n_embd} n_layer={config.n_layer} "
          f"n_head={config.n_head} initializer_range={config.initializer_range:g}\n")
    print("| recipe | batch | optimizer | schedule | clip | batching | held-out exact match, first run -> retry "
          f"(seeds {', '.join(map(str, args.seeds))}) | graded min - threshold | training CPU s per grading |")
    print("|---|---:|---|---|---|---|---|---:|---:|")
    failed = []
    for name in args.recipes:
        recipe = RECIPES[name]
        graded, shown, cpu = [], [], 0.0
        for seed in args.seeds:
            runs = [args.n_steps] + ([args.retry_steps] if args.retry_steps else [])
            text, scores = [], []
            for n_steps in runs:  # the judge: the first budget, the retry only below QA_RETRY_BELOW
                began = time.process_time()
                model = train(examples["train"], recipe, n_steps=n_steps, lr=args.lr, seed=seed, config=config)
                cpu += time.process_time() - began
                scores.append(ref.qa_exact_match(model, examples["heldout"]))
                text.append(f"{scores[-1]:.3f}")
                if scores[-1] >= ref.QA_RETRY_BELOW:
                    break
            graded.append(max(scores))  # the better of the two runs is graded
            shown.append(" -> ".join(text))
        margin = min(graded) - ref.QA_ACCURACY_THRESHOLD
        label = name if allowed(recipe) else f"{name} (not allowed)"
        if allowed(recipe) and margin < args.margin:
            failed.append(name)
        print(f"| {label} | {recipe.batch} | {recipe.optimizer} | {recipe.schedule} | {recipe.clip or '-'} | "
              f"{recipe.batching} | {', '.join(shown)} | {margin:+.3f} | {cpu / len(args.seeds):.2f} |", flush=True)
    if failed:
        print(f"\nallowed recipes below threshold + {args.margin}: {', '.join(failed)}")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
