package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * {@code step: speaker-turns}: the first and the last turn of one speaker of a transcript whose
 * lines start with a label ({@code Customer:}, {@code #Person2#:}), so that later steps can judge,
 * say, the customer's mood at the start and at the end of a call. The speaker is the one whose
 * label contains {@code speaker} (default: customer, caller or client), else the second speaker to
 * talk (callers are usually greeted first). Value: {@code {"speaker", "first", "last"}}; the
 * confidence is 1 when the label names the speaker, 0.5 when it was guessed from the order. A
 * transcript without labels (a mono recording) gives {@code speaker}, {@code first} and
 * {@code last} null, {@code unknown} saying why, and confidence 0.
 *
 * <pre>
 * - step: speaker-turns
 *   as: customer
 *   text: "{{transcript}}"
 *   speaker: customer       # a word of the speaker's label (default: customer, caller or client)
 * </pre>
 */
final class SpeakerTurnsStep implements Step {

    record Settings(String text, String speaker) {
    }

    private final Template text;
    private final List<String> names;

    private SpeakerTurnsStep(Template text, List<String> names) {
        this.text = text;
        this.names = names;
    }

    static Steps.Definition define(String name, ObjectNode declaration) {
        Settings settings = Steps.settings(declaration, Settings.class);
        Template text = Steps.text(settings.text());
        List<String> names = settings.speaker() == null ? List.of("customer", "caller", "client")
                : List.of(settings.speaker().toLowerCase(Locale.ROOT));
        return new Steps.Declared(name, "speaker-turns", 0, text.names(),
                resources -> new SpeakerTurnsStep(text, names));
    }

    private record Turn(String speaker, String words) {
    }

    @Override
    public Result apply(Map<String, Object> context) {
        List<Turn> turns = new ArrayList<>();
        for (String line : text.render(context).split("\\R")) {
            Matcher m = Sentences.SPEAKER.matcher(line);
            if (m.find()) {
                turns.add(new Turn(m.group(1).strip(), line.substring(m.end()).strip()));
            } else if (!turns.isEmpty() && !line.isBlank()) {
                Turn last = turns.removeLast();
                turns.add(new Turn(last.speaker(), last.words() + " " + line.strip()));
            }
        }
        Set<String> speakers = new LinkedHashSet<>();
        turns.forEach(t -> speakers.add(t.speaker()));
        String speaker = speakers.stream()
                .filter(s -> names.stream().anyMatch(n -> s.toLowerCase(Locale.ROOT).contains(n))).findFirst().orElse(null);
        double confidence = 1;
        if (speaker == null) {
            confidence = 0.5;
            speaker = speakers.stream().skip(speakers.size() > 1 ? 1 : 0).findFirst().orElse(null);
        }
        ObjectNode value = Json.object();
        if (speaker == null) {
            // no labels (a mono recording, or text without them): the speaker is unknown, and says so,
            // rather than empty strings that would read as the customer having said nothing
            return new Result(value.putNull("speaker").putNull("first").putNull("last")
                    .put("unknown", "the transcript has no speaker labels (a mono recording is not split by speaker)"), 0);
        }
        String who = speaker;
        List<Turn> own = turns.stream().filter(t -> t.speaker().equals(who)).toList();
        value.put("speaker", speaker).put("first", own.getFirst().words()).put("last", own.getLast().words());
        return new Result(value, confidence);
    }
}
