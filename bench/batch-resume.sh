#!/usr/bin/env bash
# Resume after a kill (issue 8): a job of N items (default 10,000) against the test kit's stand-in
# (16 at once, 20 ms each), killed with SIGKILL once half of its items are journaled, then run again
# with --resume. The stand-in counts the requests it received per item; the script reports how many
# items were sent twice (at most those in flight at the kill) and whether any item journaled before
# the kill was sent again (must be none), and the resumed run's time.
#   bench/batch-resume.sh [ITEMS (default 10000)] [CONCURRENCY (default 64)]
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-10000}
CONCURRENCY=${2:-64}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/standin.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" bench/StandIn.java 20 16 "$work/counts.txt" \
  >"$work/standin.out" 2>&1 &
echo $! > "$work/standin.pid"
for _ in $(seq 100); do grep -q '^port ' "$work/standin.out" 2>/dev/null && break; sleep 0.2; done
port=$(sed -n 's/^port //p' "$work/standin.out")
python3 - "$work/input.jsonl" "$ITEMS" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"custom_id": f"item-{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "m", "messages": [{"role": "user", "content": f"summarise call {i}"}]}}) + "\n")
PY
run() { ./mesh batch run "$work/input.jsonl" --out "$work/output.jsonl" --url "http://127.0.0.1:$port/v1" \
          --concurrency "$CONCURRENCY" "$@"; }
journaled() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from items where state='done'\").fetchone()[0])" "$work/output.jsonl.journal" 2>/dev/null || echo 0; }
run >"$work/first.log" 2>&1 &
for _ in $(seq 600); do
  [ -f "$work/output.jsonl.journal" ] && [ "$(journaled)" -ge $((ITEMS / 2)) ] && break
  sleep 0.05
done
pkill -KILL -f "batch run $work/input.jsonl" || true
sleep 1
python3 -c "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(\"select custom_id from items where state='done'\")]" \
  "$work/output.jsonl.journal" > "$work/before.txt"
echo "killed with $(wc -l < "$work/before.txt") of $ITEMS items journaled"
start=$(date +%s.%N)
run --resume 2>&1 | grep -E "\(100%\)" | tail -1
end=$(date +%s.%N)
kill "$(cat "$work/standin.pid")"
for _ in $(seq 50); do [ -s "$work/counts.txt" ] && break; sleep 0.2; done
python3 - "$work/counts.txt" "$work/before.txt" "$work/output.jsonl" "$ITEMS" "$start" "$end" <<'PY'
import json, sys
counts = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[1]) if l.strip())
before = set(l.strip() for l in open(sys.argv[2]) if l.strip())
out = [json.loads(l)["custom_id"] for l in open(sys.argv[3])]
items = int(sys.argv[4])
twice = [i for i, n in counts.items() if n > 1]
again = [i for i in before if counts.get(i, 0) > 1]
print(f"output lines {len(out)}, distinct ids {len(set(out))} (of {items})")
print(f"requests at the stand-in {sum(counts.values())}; items sent twice {len(twice)}; "
      f"items journaled before the kill sent again {len(again)}")
print(f"resumed run: {float(sys.argv[6]) - float(sys.argv[5]):.1f} s for {items - len(before)} items (JVM start included)")
PY
