#!/usr/bin/env python3
"""Soak test of `afina serve` (README "Trust"): loopback only, bounded in time, stops by itself.

    python3 scripts/soak_serve.py [--afina .build/release/afina] [--clients 32] [--minutes 10]

Starts the server on a free loopback port (the default model, --max-batch 8, --context 512) and
runs CLIENTS threads for MINUTES. Each picks, request after request, one of:
  chat        a valid chat completion (greedy, 8 tokens): must answer 200 with a message
  completion  a valid text completion (8 tokens): must answer 200 with text
  stream-cut  a streamed chat completion whose connection is closed after the first event
  malformed   a body that is not JSON, or JSON without messages: must answer 400
  oversize    a 2 MiB body (over --max-body-bytes 1 MiB): must answer 413 (or have the
              connection closed while sending)
  too-long    a prompt longer than the context: must answer 400
A 429 (queue full) is counted apart and retried later; any other answer to a valid request is a
failure. The server's resident memory (VmRSS) is sampled every 10 s; growth is measured from
the end of the first minute (warm-up) to the end. Prints a table and exits non-zero when the
server died, a valid request went unanswered, or memory grew by 10% or more.
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

KINDS = ["chat"] * 4 + ["completion"] * 2 + ["stream-cut", "malformed", "oversize", "too-long"]


def request(port, body, timeout=300):
    """(status, parsed body or None) of one POST /v1/... with a raw bytes or dict body."""
    path, payload = body
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, None
    finally:
        connection.close()


def stream_cut(port, rng):
    """Starts a streamed chat completion and hangs up after the first server-sent event."""
    body = {"model": "smollm2-135m-instruct", "stream": True, "max_tokens": 32, "temperature": 0,
            "messages": [{"role": "user", "content": f"Count to {rng.randint(5, 50)}."}]}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            return response.status
        response.fp.readline()
        return 200
    finally:
        connection.sock and connection.sock.shutdown(socket.SHUT_RDWR)
        connection.close()


def one(kind, port, rng):
    """Sends one request of `kind`; returns (ok, status)."""
    word = rng.choice(["rain", "bread", "Mars", "music", "bees", "chess", "snow", "tea", "owls", "salt"])
    if kind == "chat":
        status, body = request(port, ("/v1/chat/completions", {
            "model": "smollm2-135m-instruct", "max_tokens": 8, "temperature": 0,
            "messages": [{"role": "user", "content": f"Say one thing about {word}."}]}))
        return status == 200 and isinstance(body["choices"][0]["message"]["content"], str), status
    if kind == "completion":
        status, body = request(port, ("/v1/completions", {
            "model": "smollm2-135m-instruct", "max_tokens": 8, "temperature": 0, "prompt": f"The {word} is"}))
        return status == 200 and isinstance(body["choices"][0]["text"], str), status
    if kind == "stream-cut":
        status = stream_cut(port, rng)
        return status == 200, status
    if kind == "malformed":
        payload = rng.choice([b"{not json", b"[]", json.dumps({"model": "smollm2-135m-instruct"}).encode(),
                              json.dumps({"messages": "hello", "max_tokens": -3}).encode()])
        status, _ = request(port, ("/v1/chat/completions", payload))
        return status == 400, status
    if kind == "oversize":
        try:
            status, _ = request(port, ("/v1/chat/completions", b"{\"messages\": \"" + b"x" * (2 << 20) + b"\"}"))
        except (ConnectionError, OSError):
            return True, "closed"
        return status == 413, status
    if kind == "too-long":
        status, _ = request(port, ("/v1/completions", {"model": "smollm2-135m-instruct", "max_tokens": 8,
                                                      "prompt": " ".join([word] * 2000)}))
        return status == 400, status
    raise ValueError(kind)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--afina", default=".build/release/afina")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()

    server = subprocess.Popen([args.afina, "serve", "--port", "0", "--max-batch", "8", "--context", "512"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    for line in server.stdout:
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        sys.exit(f"the server did not start (exit {server.wait()})")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()  # drain its log

    counts, failures, lock = Counter(), [], threading.Lock()
    end = time.time() + args.minutes * 60

    def client(seed):
        rng = random.Random(seed)
        while time.time() < end and server.poll() is None:
            kind = rng.choice(KINDS)
            try:
                ok, status = one(kind, port, rng)
            except Exception as error:  # noqa: BLE001 - any transport failure of a valid request counts
                ok, status = kind in ("oversize", "stream-cut"), type(error).__name__
            with lock:
                if status == 429:
                    counts["429 (queue full)"] += 1
                    continue
                counts[(kind, "ok" if ok else "FAILED")] += 1
                if not ok:
                    failures.append(f"{kind}: {status}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    started = time.time()
    for t in threads:
        t.start()
    samples = []
    while any(t.is_alive() for t in threads):
        if server.poll() is None:
            samples.append((time.time() - started, rss_kib(server.pid)))
        time.sleep(10)
    for t in threads:
        t.join()
    alive = server.poll() is None
    server.terminate()
    server.wait()

    print(f"{args.clients} clients, {args.minutes:g} minutes, server {'alive' if alive else 'DIED'} at the end")
    print("| request | answered as expected | failed |")
    print("|---|---|---|")
    for kind in dict.fromkeys(KINDS):
        print(f"| {kind} | {counts[(kind, 'ok')]} | {counts[(kind, 'FAILED')]} |")
    print(f"| 429 (queue full, retried) | {counts['429 (queue full)']} | |")
    warm = [rss for t, rss in samples if t >= 60] or [rss for _, rss in samples]
    growth = (warm[-1] - warm[0]) / warm[0] if warm else 0
    print(f"resident memory: {samples[0][1] / 1024:.0f} MiB at start, {warm[0] / 1024:.0f} MiB after warm-up, "
          f"{warm[-1] / 1024:.0f} MiB at the end ({growth:+.1%}), peak {max(r for _, r in samples) / 1024:.0f} MiB")
    for failure in failures[:10]:
        print("FAIL:", failure)
    sys.exit(0 if alive and not failures and growth < 0.10 else 1)


if __name__ == "__main__":
    main()
