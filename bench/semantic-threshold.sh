#!/usr/bin/env bash
# Semantic routes' calibrated thresholds (issue 26), with `mesh route check`:
#  1. tuning: three routes of ten Banking77 intents each (4 examples per intent, a seeded draw from
#     ../shared/data/banking77/train.csv), checked on 10 other utterances per intent, 10 utterances of
#     intents the route lacks and 20 everyday sentences written for this script;
#  2. measuring: config/examples/customer-service.yaml (the ten ABCD flows) on
#     bench/data/support-paraphrases.jsonl (set A, seen while the method was designed) and
#     bench/data/support-paraphrases-b.jsonl (set B, written afterwards and not used for any choice).
#   bench/semantic-threshold.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - ../shared/data/banking77/train.csv "$work" <<'PY'
import csv, json, random, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["category"], []).append(r["text"])
cats = sorted(by)
generic = ["how do I grow tomatoes on a balcony", "what's the score of the cricket match", "recommend a podcast about history",
           "how long should I boil an egg", "what is the tallest building in the world", "can you help me write a cover letter",
           "what rhymes with orange", "how do airplanes stay in the air", "is coffee bad for you", "what's the plot of Moby Dick",
           "find me a hotel in Paris", "how do I clean a cast iron pan", "what's the difference between a frog and a toad",
           "when is the next full moon", "teach me a card trick", "what are the rules of chess", "how many calories are in an apple",
           "who painted the Mona Lisa", "what's the speed of sound", "how do I meditate"]
for seed in (1, 2, 3):
    rnd = random.Random(seed)
    chosen = rnd.sample(cats, 10)
    others = [c for c in cats if c not in chosen]
    intents, test = [], []
    for c in chosen:
        texts = by[c][:]
        rnd.shuffle(texts)
        intents.append((c, texts[:4]))
        test += [{"text": t, "intent": c} for t in texts[4:14]]
    for c in rnd.sample(others, 10):
        test.append({"text": rnd.choice(by[c]), "intent": None})
    test += [{"text": g, "intent": None} for g in generic]
    lines = ["models:", "  - { id: minilm, engine: onnx }", "  - { id: a, engine: openai, endpoints: ['http://127.0.0.1:9/v1'] }",
             "  - { id: b, engine: openai, endpoints: ['http://127.0.0.1:9/v1'] }", "routes:", "  - name: bank",
             "    policy: semantic", "    candidates: [a, b]", "    default: b", "    intents:"]
    for c, examples in intents:
        lines += [f"      - name: {c}", "        model: a", "        examples: " + json.dumps(examples)]
    open(f"{sys.argv[2]}/bank{seed}.yaml", "w").write("\n".join(lines) + "\n")
    with open(f"{sys.argv[2]}/set{seed}.jsonl", "w") as f:
        for t in test:
            f.write(json.dumps(t) + "\n")
PY
for seed in 1 2 3; do
  echo "== Banking77, ten intents, seed $seed (tuning)"
  ./mesh route check --config "$work/bank$seed.yaml" --route bank --set "$work/set$seed.jsonl" | sed -n 1,3p
done
for set in support-paraphrases support-paraphrases-b; do
  echo "== customer-service.yaml on bench/data/$set.jsonl"
  ./mesh route check --config config/examples/customer-service.yaml --route support --set "bench/data/$set.jsonl" | sed -n 1,3p
done
