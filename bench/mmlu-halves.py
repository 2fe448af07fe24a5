"""Splits the RouteLLM MMLU subject files for bench/route-holdout*.sh.

Each subject file of SOURCE is shuffled by a seed of its own ("SEED-FILENAME") and cut in two:
WORK/train and WORK/test get one half each (the same name, the same header). WORK/math and
WORK/not-math get whole files: the mathematics subjects, and the others.

    python3 bench/mmlu-halves.py SOURCE WORK SEED
"""
import csv
import os
import random
import sys

source, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
for part in ("train", "test", "not-math", "math"):
    os.makedirs(os.path.join(work, part), exist_ok=True)
for name in sorted(os.listdir(source)):
    with open(os.path.join(source, name), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(f"{seed}-{name}").shuffle(body)
    half = len(body) // 2
    math = "math" in name or "algebra" in name or "statistics" in name
    for part, chunk in (("train", body[:half]), ("test", body[half:]), ("math" if math else "not-math", body)):
        with open(os.path.join(work, part, name), "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(chunk)
