#!/usr/bin/env python3
"""Sends N chat requests at once (one thread each) after DELAY seconds, with extra headers.
Usage: burst.py URL MODEL N DELAY [HEADER:VALUE ...]
A separate light process, so that starting it does not take CPU from the measured load."""
import http.client, json, sys, threading, time, urllib.parse

url, model, n, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
headers = {"Content-Type": "application/json"}
for h in sys.argv[5:]:
    name, value = h.split(":", 1)
    headers[name] = value
u = urllib.parse.urlparse(url)
body = json.dumps({"model": model, "messages": [{"role": "user", "content": "a burst request"}]})
statuses = []
start = threading.Barrier(n + 1)

def one():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    c.connect()
    start.wait()
    c.request("POST", u.path + "/chat/completions", body, headers)
    statuses.append(c.getresponse().status)

threads = [threading.Thread(target=one) for _ in range(n)]
for t in threads:
    t.start()
time.sleep(delay)
t0 = time.time()
start.wait()
for t in threads:
    t.join()
print(f"burst of {n}: {time.time() - t0:.2f} s, statuses {sorted(set(statuses))}", file=sys.stderr)
