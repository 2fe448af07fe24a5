"""Synthesizes two-voice calls from DialogSum dialogues and scores the call-insights chain on them.

  call-audio-eval.py synthesize DIALOGSUM.jsonl SUMMARIZER.json WORK CALLS
  call-audio-eval.py report WORK

Only the standard library: wave for the PCM, ffmpeg (a child process) for the 8 kHz mu-law files.
ROUGE-L is computed as Rouge.java does (lower case, a-z0-9 tokens, LCS of the whole texts, F1).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import wave

VOICES = {"#Person1#": "en-us+m3", "#Person2#": "en-us+f2"}
RATE = 22050
GAP_S = 0.4
LABEL = re.compile(r"^\s*(#?[A-Za-z][A-Za-z0-9 _#]{0,30}?#?)\s*:\s*")
END = re.compile(r"(?<=[.!?])\s+")


def tokens(text):
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def lcs(a, b):
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate, reference):
    c, r = tokens(candidate), tokens(reference)
    overlap = lcs(c, r)
    if overlap == 0:
        return 0.0
    p, rec = overlap / len(c), overlap / len(r)
    return 2 * p * rec / (p + rec)


def sentences(text):
    out = []
    for line in text.splitlines():
        out.extend(s.strip() for s in END.split(line.strip()) if s.strip())
    return out


def words_for_wer(text):
    """Words without speaker labels, lower case, apostrophes kept (Vosk writes "don't")."""
    body = " ".join(LABEL.sub("", line) for line in text.splitlines())
    body = body.lower().replace(" ' ", "'").replace("'", "'")
    return re.findall(r"[a-z0-9']+", body)


def labelled_words(text):
    """(word, speaker) for each word of a transcript whose lines may start with a label (speaker None without)."""
    out = []
    for line in text.splitlines():
        m = LABEL.match(line)
        speaker = m.group(1) if m else None
        for w in re.findall(r"[a-z0-9']+", LABEL.sub("", line).lower().replace(" ' ", "'")):
            out.append((w, speaker))
    return out


def speaker_agreement(reference, hypothesis):
    """Of the words the recogniser got right (aligned by edit distance), the share whose speaker is right."""
    ref, hyp = labelled_words(reference), labelled_words(hypothesis)
    rows, cols = len(ref) + 1, len(hyp) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (ref[i - 1][0] != hyp[j - 1][0]))
    i, j, matched, same = len(ref), len(hyp), 0, 0
    while i > 0 and j > 0:
        if ref[i - 1][0] == hyp[j - 1][0] and cost[i][j] == cost[i - 1][j - 1]:
            matched += 1
            same += ref[i - 1][1] == hyp[j - 1][1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            j -= 1
        else:
            i, j = i - 1, j - 1
    return matched, same


def edits(ref, hyp):
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def speak(text, voice, folder):
    path = os.path.join(folder, "turn.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", path, text], check=True, capture_output=True)
    with wave.open(path) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.readframes(w.getnframes())


def synthesize(dialogsum, summarizer, work, calls):
    held_out = json.load(open(summarizer))["about"]["held_out_ids"]
    chosen = set(held_out)
    dialogues = [json.loads(l) for l in open(dialogsum) if l.strip()]
    dialogues = [d for d in dialogues if d["fname"] in chosen][:calls]
    audio_folder = os.path.join(work, "calls")
    os.makedirs(audio_folder, exist_ok=True)
    silence = bytes(int(GAP_S * RATE) * 2)
    seconds = 0.0
    with open(os.path.join(work, "text.jsonl"), "w") as text, open(os.path.join(work, "stereo.jsonl"), "w") as stereo, \
            open(os.path.join(work, "mono.jsonl"), "w") as mono, open(os.path.join(work, "reference.jsonl"), "w") as ref, \
            tempfile.TemporaryDirectory() as tmp:
        for n, d in enumerate(dialogues, 1):
            left, right = bytearray(), bytearray()
            for line in d["dialogue"].splitlines():
                m = LABEL.match(line)
                speaker = m.group(1) if m else "#Person1#"
                said = LABEL.sub("", line).replace(" ' ", "'")
                pcm = speak(said, VOICES.get(speaker, "en-us+m3"), tmp)
                quiet = bytes(len(pcm))
                (left if speaker != "#Person2#" else right).extend(pcm)
                (right if speaker != "#Person2#" else left).extend(quiet)
                left.extend(silence)
                right.extend(silence)
            frames = bytearray()
            for i in range(0, len(left), 2):
                frames += left[i:i + 2] + right[i:i + 2]
            seconds += len(left) / 2 / RATE
            raw = os.path.join(tmp, "call.wav")
            with wave.open(raw, "wb") as w:
                w.setnchannels(2)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(bytes(frames))
            for name, channels in (("stereo", "2"), ("mono", "1")):
                subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", raw, "-ar", "8000", "-ac", channels,
                                "-c:a", "pcm_mulaw", os.path.join(audio_folder, f"{d['fname']}.{name}.wav")], check=True)
            text.write(json.dumps({"id": d["fname"], "transcript": d["dialogue"]}) + "\n")
            stereo.write(json.dumps({"id": d["fname"], "audio": f"calls/{d['fname']}.stereo.wav"}) + "\n")
            mono.write(json.dumps({"id": d["fname"], "audio": f"calls/{d['fname']}.mono.wav"}) + "\n")
            ref.write(json.dumps(d) + "\n")
            print(f"\rsynthesized {n} of {len(dialogues)} calls, {seconds / 60:.1f} min of audio", end="", file=sys.stderr)
    print(file=sys.stderr)


def lines(path):
    return {j["id"]: j for j in (json.loads(l) for l in open(path) if l.strip())}


def report(work):
    refs = {j["fname"]: j for j in (json.loads(l) for l in open(os.path.join(work, "reference.jsonl")))}
    runs = {name: lines(os.path.join(work, f"{name}.out.jsonl")) for name in ("text", "stereo", "mono")}
    figures = {"calls": len(refs)}
    for name, out in runs.items():
        rl, lead, errors, ref_words, topic_same, sentiment_same, sentiment_items, failed = 0, 0, 0, 0, 0, 0, 0, 0
        aligned, attributed, labelled_calls = 0, 0, 0
        for fid, ref in refs.items():
            line = out.get(fid)
            if line is None or line.get("output") is None:
                failed += 1
                continue
            output = line["output"]
            transcript = output.get("redacted_transcript") or ""
            rl += rouge_l(output.get("summary") or "", ref["summary"])
            lead += rouge_l(" ".join(sentences(transcript)[:3]), ref["summary"])
            if name != "text":
                reference_words = words_for_wer(ref["dialogue"])
                errors += edits(reference_words, words_for_wer(transcript))
                ref_words += len(reference_words)
                matched, same = speaker_agreement(ref["dialogue"], transcript)
                aligned += matched
                attributed += same
                labelled_calls += LABEL.match(transcript) is not None
                clean = runs["text"].get(fid, {}).get("output") or {}
                topic_same += output.get("topic") == clean.get("topic")
                for end in ("start", "end"):
                    theirs = (clean.get("sentiment") or {}).get(end)
                    if theirs is not None:
                        sentiment_items += 1
                        sentiment_same += (output.get("sentiment") or {}).get(end) == theirs
        scored = len(refs) - failed
        result = {"failed": failed, "rougeL": round(rl / scored, 4), "lead3_rougeL": round(lead / scored, 4)}
        if name != "text":
            result.update({"wer": round(errors / ref_words, 4), "topic_agreement": round(topic_same / scored, 4),
                           "sentiment_agreement": round(sentiment_same / sentiment_items, 4) if sentiment_items else None,
                           "sentiment_items": sentiment_items,
                           "speaker_accuracy": round(attributed / aligned, 4) if aligned else None,
                           "calls_with_speakers": labelled_calls})
        job = json.load(open(os.path.join(work, f"{name}.out.jsonl.report.json")))
        wall = float(open(os.path.join(work, f"{name}.seconds")).read())
        result["wall_s"] = round(wall, 1)
        result["energy_wh_per_call"] = round(job.get("energy_wh", 0) / len(refs), 4)
        speech = job.get("stages", {}).get("transcription")
        if speech:
            result["audio_minutes"] = round(speech["audio_minutes"], 2)
            result["audio_minutes_per_minute"] = round(speech["audio_minutes"] / (wall / 60), 2)
            result["real_time_factor"] = speech.get("real_time_factor")
        figures[name] = result
    print(f"{'':8} {'ROUGE-L':>8} {'lead-3':>8} {'WER':>7} {'speaker':>8} {'topic=':>7} {'sent.=':>7} {'audio min/min':>14}"
          f" {'Wh/call':>9}")
    for name in ("text", "stereo", "mono"):
        r = figures[name]
        print(f"{name:8} {r['rougeL']:8.4f} {r['lead3_rougeL']:8.4f} {r.get('wer', 0):7.3f} {(r.get('speaker_accuracy') or 0):8.3f}"
              f" {r.get('topic_agreement', 1):7.3f}"
              f" {(r.get('sentiment_agreement') or 0):7.3f} {r.get('audio_minutes_per_minute', 0):14.2f} {r['energy_wh_per_call']:9.4f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1] == "synthesize":
        synthesize(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit("usage: call-audio-eval.py synthesize|report ...")
