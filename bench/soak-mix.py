#!/usr/bin/env python3
"""The hostile half of the soak (bench/soak.sh): for SECONDS, THREADS loops each pick at random one
of: a bad request (a body or a field OpenAI refuses), a request to a faulty model (garbage, crash,
hang, trickle, reset, cut stream, a fallback route past a fault), a slow client (headers trickled,
a body never finished), a client that leaves mid-stream, HTTP/1.0, a TLS hello, binary noise.
Prints one JSON line of counts per kind of answer at the end; a 5xx other than 502/503/504 is a bug.
Usage: soak-mix.py HOST PORT SECONDS THREADS"""
import json, random, socket, sys, threading, time

host, port, seconds, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
chat = lambda model, **extra: json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], **extra})
BAD = [
    b'{"model":"good",', b'', b'[1,2]', chat("good", temperature="hot").encode(), chat("good", n=0).encode(),
    json.dumps({"model": "good", "messages": [{"role": "tool", "content": "x"}]}).encode(),
    json.dumps({"model": "good", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}).encode(),
    chat("good", tool_choice="bogus").encode(), chat("good", stream_options={"include_usage": True}).encode(),
    chat("nope").encode(), chat("good", logit_bias={"x": 1}).encode(), b'{"model":"good","messages":' + b'[' * 3000,
]
FAULTY = ["garbage", "crashing", "hang", "trickle", "reset", "past-garbage", "past-reset", "past-crash"]
counts, lock = {}, threading.Lock()

def count(kind):
    with lock:
        counts[kind] = counts.get(kind, 0) + 1

def exchange(raw, timeout=15.0, read=True):
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(raw)
        if not read:
            return b""
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and (b"data: [DONE]" in data or b"Content-Length" in data.split(b"\r\n\r\n")[0]):
                head, _, body = data.partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")]
                if not length or len(body) >= length[0]:
                    break
        return data
    finally:
        s.close()

def post(path, body, extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

def status(data):
    try:
        return int(data.split(b" ", 2)[1])
    except Exception:
        return 0

def one():
    pick = random.random()
    try:
        if pick < 0.35:
            code = status(exchange(post("/v1/chat/completions", random.choice(BAD))))
            count("bad_%d" % code)
        elif pick < 0.65:
            model = random.choice(FAULTY)
            stream = random.random() < 0.5
            code = status(exchange(post("/v1/chat/completions", chat(model, stream=stream).encode())))
            count("fault_%d" % code)
        elif pick < 0.72:
            s = socket.create_connection((host, port), timeout=30)
            try:
                for b in b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
                    s.send(bytes([b]))
                    time.sleep(0.2)
                count("slow_headers_not_cut")
            except OSError:
                count("slow_headers_cut")
            finally:
                s.close()
        elif pick < 0.78:
            s = socket.create_connection((host, port), timeout=30)
            try:
                s.sendall(post("/v1/chat/completions", b"{" + b" " * 10000)[:-9000])
                data = s.recv(100)
                count("unfinished_body_closed" if not data else "unfinished_body_%d" % status(data))
            except OSError:
                count("unfinished_body_closed")
            finally:
                s.close()
        elif pick < 0.88:
            s = socket.create_connection((host, port), timeout=30)
            s.sendall(post("/v1/chat/completions", chat("cut" if random.random() < 0.3 else "good", stream=True).encode()))
            s.recv(200)
            s.close()  # gone mid-stream
            count("left_mid_stream")
        elif pick < 0.93:
            count("http10_%d" % status(exchange(b"GET /v1/models HTTP/1.0\r\n\r\n")))
        elif pick < 0.97:
            data = exchange(bytes([0x16, 3, 1, 0, 0x50, 1, 0, 0, 0x4c, 3, 3]) + bytes(60))
            count("tls_closed" if not data else "tls_answered")
        else:
            data = exchange(bytes(random.getrandbits(8) for _ in range(64)))
            count("noise_%d" % status(data) if data else "noise_closed")
    except OSError as e:
        count("client_error_" + type(e).__name__)

def loop(deadline):
    while time.time() < deadline:
        one()

deadline = time.time() + seconds
workers = [threading.Thread(target=loop, args=(deadline,)) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps(dict(sorted(counts.items()))))
