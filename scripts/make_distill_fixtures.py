"""Reference values for logit-level distillation (PyTorch, float64 from float32 models).

Teacher: the tiny random Qwen2 of Tests/Fixtures/models; student: the tiny random Llama
(same 320-token vocabulary); batch: Tests/Fixtures/training/batch.json (loss on the answer
tokens only). Per target row, with p = softmax(z / T), q = softmax(t / T):
    loss = alpha * CE(z, label) + (1 - alpha) * T^2 * D(q, p),
averaged over the batch's target rows, D one of
    forward_kl   KL(q || p)
    reverse_kl   KL(p || q)
    jsd          beta KL(q || m) + (1 - beta) KL(p || m), m = beta q + (1 - beta) p   (TRL's GKD)
and the top-k variant: the teacher's k most likely tokens at temperature T plus one bucket
for the rest (its log mass stored), the student's distribution bucketed the same way.

Writes Tests/Fixtures/distill/:
  logits.safetensors           student and teacher logits of the target rows, the labels,
                               top-k ids / log-probs / log tail of the teacher at T
  <case>.safetensors           loss, mean CE, mean D, d loss / d student logits, and
                               d loss / d every student parameter (full-vocabulary cases)
Run: python3 scripts/make_distill_fixtures.py   (pinned stack: scripts/requirements.txt)
"""
import json, os
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures")
OUT = os.path.join(FIXTURES, "distill")
T, ALPHA, BETA, K = 2.0, 0.25, 0.3, 8
BATCH = json.load(open(os.path.join(FIXTURES, "training", "batch.json")))


def load(variant):
    return AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "models", variant), dtype=torch.float32)


def target_logits(model):
    """Logits of the rows that have targets, in batch order, and their labels."""
    rows, labels = [], []
    for seq in BATCH:
        logits = model(input_ids=torch.tensor([seq["tokens"]])).logits[0, :-1]
        for i in range(1, len(seq["tokens"])):
            if seq["targets"][i]:
                rows.append(logits[i - 1])
                labels.append(seq["tokens"][i])
    return torch.stack(rows), torch.tensor(labels)


def divergence(kind, log_p, log_q):
    """Summed over rows; log_p, log_q: [rows, buckets] log-masses."""
    p, q = log_p.exp(), log_q.exp()
    if kind == "forward_kl":
        return (q * (log_q - log_p)).sum()
    if kind == "reverse_kl":
        return (p * (log_p - log_q)).sum()
    log_m = torch.logsumexp(torch.stack([log_q + torch.log(torch.tensor(BETA, dtype=log_p.dtype)),
                                         log_p + torch.log(torch.tensor(1 - BETA, dtype=log_p.dtype))]), dim=0)
    return BETA * (q * (log_q - log_m)).sum() + (1 - BETA) * (p * (log_p - log_m)).sum()


def bucketed(log_probs, ids):
    """[rows, V] log-probs -> [rows, K + 1]: the K tokens of `ids`, then the rest."""
    top = log_probs.gather(1, ids)
    rest = log_probs.scatter(1, ids, float("-inf"))
    return torch.cat([top, torch.logsumexp(rest, dim=1, keepdim=True)], dim=1)


def loss_terms(z, labels, teacher_log_q, kind, ids=None):
    log_p = F.log_softmax(z / T, dim=-1)
    if ids is not None:
        log_p = bucketed(log_p, ids)
    ce = F.cross_entropy(z, labels, reduction="sum")
    d = divergence(kind, log_p, teacher_log_q)
    n = z.shape[0]
    return (ALPHA * ce + (1 - ALPHA) * T * T * d) / n, ce / n, d / n


def main():
    os.makedirs(OUT, exist_ok=True)
    teacher, student = load("qwen2"), load("llama")
    with torch.no_grad():
        t_logits, labels = target_logits(teacher)
    s_logits, _ = target_logits(student)
    t64 = t_logits.double()
    log_q = F.log_softmax(t64 / T, dim=-1)
    top_lp, top_ids = log_q.topk(K, dim=-1)
    log_q_topk = bucketed(log_q, top_ids)
    save_file({"student": s_logits.detach().contiguous(), "teacher": t_logits.contiguous(),
               "labels": labels.to(torch.int32), "topk_ids": top_ids.to(torch.int32).contiguous(),
               "topk_logprobs": top_lp.float().contiguous(), "topk_log_tail": log_q_topk[:, K].float().contiguous()},
              os.path.join(OUT, "logits.safetensors"))

    for kind in ["forward_kl", "reverse_kl", "jsd"]:
        for topk in [False, True]:
            z = s_logits.detach().double().requires_grad_()
            # The stored float32 top-k values are what Afina reads, so the reference uses them too.
            teacher_side = (torch.cat([top_lp.float().double(), log_q_topk[:, K:].float().double()], dim=1)
                            if topk else log_q)
            loss, ce, d = loss_terms(z, labels, teacher_side, kind, top_ids if topk else None)
            loss.backward()
            out = {"loss": loss.detach().float().reshape(1), "cross_entropy": ce.detach().float().reshape(1),
                   "divergence": d.detach().float().reshape(1), "d_logits": z.grad.float().contiguous()}
            if not topk:
                # The same loss through the float32 student, for every parameter's gradient.
                student.zero_grad()
                z32, _ = target_logits(student)
                loss32, _, _ = loss_terms(z32, labels, F.log_softmax(t_logits / T, dim=-1), kind)
                loss32.backward()
                out.update({n: p.grad.contiguous() for n, p in student.named_parameters()})
            save_file(out, os.path.join(OUT, f"{kind}{'_topk' if topk else ''}.safetensors"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
