"""Reference gradients and optimizer steps for the training tests (PyTorch + peft, float32).

Uses the tiny random models of Tests/Fixtures/models (make_model_fixtures.py) and writes
under Tests/Fixtures/training/:
  batch.json                    three ragged sequences: tokens, and which tokens get loss
  <variant>/grads.safetensors   loss (mean over target tokens) and d loss / d every parameter
  qwen2/adamw.safetensors       parameters after 2 AdamW steps (decay on matrices only,
                                gradient norm clipped to 1.0), the pre-clip norms, and the
                                clipped gradients each step used (`step<k>.<name>`): Adam
                                divides by sqrt(v), so a gradient that is 0 in exact arithmetic
                                (k_proj.bias) moves its parameter by ±lr on rounding noise
                                alone; the rule itself is checked from these gradients
  llama/sgd.safetensors         parameters after 2 SGD steps (momentum 0.9, L2 decay 0.01)
  long/                         two sequences of 200 and 100 random tokens (298 target rows, so
                                an output head that takes 64 or 128 rows at a time takes several
                                chunks) and the llama variant's loss and gradients on them
  lora/                         a peft adapter (rsLoRA, r=4, all 7 projections, B nonzero)
                                saved by peft, its gradients, and logits of base + adapter
  schedules.json                learning-rate multipliers of transformers' schedules

Run: python3 scripts/make_training_fixtures.py [long]   (pinned stack: scripts/requirements.txt;
`long` writes only long/)
"""
import json, os, sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM
from transformers.optimization import (get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
                                       get_linear_schedule_with_warmup)
from peft import LoraConfig, get_peft_model

HERE = os.path.dirname(__file__)
MODELS = os.path.join(HERE, "..", "Tests", "Fixtures", "models")
ROOT = os.path.join(HERE, "..", "Tests", "Fixtures", "training")

# Token i has loss when targets[i] is true (it is predicted from tokens before it).
BATCH = [
    dict(tokens=[1, 17, 42, 99, 3, 250, 7], targets=[False, False, False, True, True, True, True]),
    dict(tokens=[5, 6, 300, 11, 2], targets=[False, True, True, True, True]),
    dict(tokens=[1, 9, 8, 7, 100, 101, 102, 103, 2], targets=[False, False, False, False, False, True, True, True, True]),
]


def load(variant):
    return AutoModelForCausalLM.from_pretrained(os.path.join(MODELS, variant), dtype=torch.float32).train()


def loss_of(model, batch=BATCH):
    """Cross-entropy summed over all target tokens of the batch, divided by their count."""
    total, count = 0.0, 0
    for seq in batch:
        ids = torch.tensor([seq["tokens"]])
        logits = model(input_ids=ids).logits[0, :-1]
        labels = torch.tensor([t if m else -100 for t, m in zip(seq["tokens"][1:], seq["targets"][1:])])
        total = total + F.cross_entropy(logits, labels, ignore_index=-100, reduction="sum")
        count += sum(seq["targets"])
    return total / count


def params(model):
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def write_grads(variant, batch=BATCH, folder=None):
    model = load(variant)
    loss = loss_of(model, batch)
    loss.backward()
    out = {"loss": loss.detach().reshape(1)}
    out.update({n: p.grad.contiguous() for n, p in params(model).items()})
    os.makedirs(os.path.join(ROOT, folder or variant), exist_ok=True)
    save_file(out, os.path.join(ROOT, folder or variant, "grads.safetensors"))


def write_long():
    generator = torch.Generator().manual_seed(0)
    batch = [dict(tokens=torch.randint(3, 320, (n,), generator=generator).tolist(), targets=[False] + [True] * (n - 1))
             for n in (200, 100)]
    os.makedirs(os.path.join(ROOT, "long"), exist_ok=True)
    with open(os.path.join(ROOT, "long", "batch.json"), "w") as f:
        json.dump(batch, f)
    write_grads("llama", batch, folder="long")


def write_adamw(variant):
    model = load(variant)
    decay = [p for n, p in params(model).items() if p.ndim >= 2]
    plain = [p for n, p in params(model).items() if p.ndim < 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.1), dict(params=plain, weight_decay=0.0)],
                            lr=1e-2, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    norms, used = [], {}
    for k in range(2):
        opt.zero_grad()
        loss_of(model).backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=False).item())
        used.update({f"step{k + 1}.{n}": p.grad.detach().clone() for n, p in params(model).items()})
        opt.step()
    out = {n: p.detach().contiguous() for n, p in params(model).items()}
    out.update(used)
    out["grad_norms"] = torch.tensor(norms)
    save_file(out, os.path.join(ROOT, variant, "adamw.safetensors"))


def write_sgd(variant):
    model = load(variant)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01, foreach=False)
    for _ in range(2):
        opt.zero_grad()
        loss_of(model).backward()
        opt.step()
    save_file({n: p.detach().contiguous() for n, p in params(model).items()},
              os.path.join(ROOT, variant, "sgd.safetensors"))


def write_lora():
    out = os.path.join(ROOT, "lora")
    model = write_peft_adapter(load("llama3-rope"), out, "Tests/Fixtures/models/llama3-rope")
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([BATCH[0]["tokens"]])).logits[0]
    save_file({"ids": torch.tensor(BATCH[0]["tokens"], dtype=torch.int32), "logits": logits.contiguous()},
              os.path.join(out, "logits.safetensors"))


def write_peft_adapter(base, out, base_name):
    """Saves an rsLoRA adapter (r=4, all 7 projections) on `base` to `out` with the loss and
    its gradients (grads.safetensors); returns the peft model."""
    torch.manual_seed(0)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=targets, lora_dropout=0.0,
                                            use_rslora=True, task_type="CAUSAL_LM"))
    with torch.no_grad():  # B starts at zero in peft; nonzero B makes every gradient nontrivial.
        for n, p in model.named_parameters():
            if "lora_" in n:
                p.copy_(torch.randn_like(p) * 0.2)
    model.save_pretrained(out)
    os.remove(os.path.join(out, "README.md"))  # peft's model card template, not needed here
    with open(os.path.join(out, "adapter_config.json")) as f:
        config = json.load(f)
    config["base_model_name_or_path"] = base_name  # not this machine's path
    config["target_modules"] = sorted(config["target_modules"])  # peft writes a set
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    loss = loss_of(model)
    loss.backward()
    grads = {"loss": loss.detach().reshape(1)}
    grads.update({n: p.grad.contiguous() for n, p in model.named_parameters() if p.requires_grad})
    save_file(grads, os.path.join(out, "grads.safetensors"))
    return model


def write_schedules():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedules = {}
    for name, make in [("constant", lambda o: get_constant_schedule_with_warmup(o, 3)),
                       ("linear", lambda o: get_linear_schedule_with_warmup(o, 3, 10)),
                       ("cosine", lambda o: get_cosine_schedule_with_warmup(o, 3, 10))]:
        sched = make(opt)
        schedules[name] = [sched.lr_lambdas[0](step) for step in range(11)]
    with open(os.path.join(ROOT, "schedules.json"), "w") as f:
        json.dump(dict(warmup_steps=3, total_steps=10, multipliers=schedules), f, indent=1)


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    write_long()
    if sys.argv[1:] == ["long"]:
        sys.exit()
    with open(os.path.join(ROOT, "batch.json"), "w") as f:
        json.dump(BATCH, f)
    for variant in ["llama", "llama3-rope", "qwen2"]:
        write_grads(variant)
    write_adamw("qwen2")
    write_sgd("llama")
    write_lora()
    write_schedules()
