#!/usr/bin/env python3
"""Throughput of `afina serve` beside llama-cpp-python's server on the same GGUF file.

    python scripts/bench_serve.py [--afina .build/release/afina] [--gguf FILE] [--max-tokens 64]

Each server is started alone on a loopback port, warmed up with one request, then driven by
1, 4 and 16 concurrent clients. Every client sends greedy chat requests (distinct questions)
back to back; a level sends 4 requests per client (at least 8). Printed per server and level:
requests/s and generated tokens/s (the servers' own usage.completion_tokens over wall time).
Needs `pip install 'llama-cpp-python[server]==0.3.36'` (the server's extras: uvicorn, fastapi,
pydantic-settings, ...).
Not a test: numbers depend on the machine and on what else runs on it.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TOPICS = ["rain", "bread", "Mars", "music", "sleep", "rivers", "bees", "chess", "snow", "tea", "trains",
          "owls", "glass", "salt", "maps", "kites", "clouds", "paper", "ships", "honey"]


def post(url, body, timeout=600):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def wait_until_up(url, process, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"no answer from {url} after {seconds} s")


def run_level(base, model, clients, max_tokens):
    requests = max(8, 4 * clients)

    def one(i):
        body = {"model": model, "max_tokens": max_tokens, "temperature": 0,
                "messages": [{"role": "user", "content": f"Write a few sentences about {TOPICS[i % len(TOPICS)]}."}]}
        return post(base + "/v1/chat/completions", body)["usage"]["completion_tokens"]

    start = time.time()
    with ThreadPoolExecutor(clients) as pool:
        tokens = sum(pool.map(one, range(requests)))
    wall = time.time() - start
    return requests / wall, tokens / wall


def bench(name, command, base, ready_path, model, levels, max_tokens):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base + ready_path, process)
        run_level(base, model, 1, 8)   # warm-up: page in the weights
        return [(name, clients, *run_level(base, model, clients, max_tokens)) for clients in levels]
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--afina", default=".build/release/afina")
    default_gguf = glob.glob(os.path.expanduser("~/.cache/afina/models/smollm2-135m-instruct/*.gguf"))
    parser.add_argument("--gguf", default=default_gguf[0] if default_gguf else None)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--only", choices=["afina", "llama-cpp"])
    args = parser.parse_args()
    if not args.gguf:
        sys.exit("no GGUF file: run `afina pull smollm2-135m-instruct` or pass --gguf")
    levels = [int(x) for x in args.levels.split(",")]
    rows = []
    if args.only != "llama-cpp":
        rows += bench("afina serve", [args.afina, "serve", "--model", args.gguf, "--port", "8091", "--max-batch", "16",
                                      "--context", "1024"],
                      "http://127.0.0.1:8091", "/health", os.path.basename(args.gguf), levels, args.max_tokens)
    if args.only != "afina":
        rows += bench("llama-cpp-python", [sys.executable, "-m", "llama_cpp.server", "--model", args.gguf,
                                           "--host", "127.0.0.1", "--port", "8092", "--n_ctx", "2048",
                                           "--n_threads", str(args.threads), "--model_alias", "bench"],
                      "http://127.0.0.1:8092", "/v1/models", "bench", levels, args.max_tokens)
    print(f"| server | clients | requests/s | generated tokens/s |  ({os.path.basename(args.gguf)}, "
          f"max_tokens {args.max_tokens}, greedy)")
    print("|---|---|---|---|")
    for name, clients, rps, tps in rows:
        print(f"| {name} | {clients} | {rps:.2f} | {tps:.1f} |")


if __name__ == "__main__":
    main()
