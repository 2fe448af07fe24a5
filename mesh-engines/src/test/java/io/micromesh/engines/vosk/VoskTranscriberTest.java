package io.micromesh.engines.vosk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.engines.audio.WordErrorRate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(300)
class VoskTranscriberTest {

    @TempDir
    static Path cache;

    private static VoskTranscriber vosk;

    @BeforeAll
    static void load() {
        vosk = VoskTranscriber.load(VoskModelFiles.english(cache));
    }

    @AfterAll
    static void close() {
        vosk.close();
    }

    @Test
    void theModelIsUnpackedOnceFromTheJar() {
        Path folder = VoskModelFiles.english(cache);
        assertThat(folder.resolve("am/final.mdl")).isRegularFile();
        assertThat(folder.getFileName().toString()).isEqualTo("vosk-model-en-" + VoskModelFiles.ENGLISH_VERSION);
        assertThat(VoskModelFiles.english(cache)).isEqualTo(folder);
    }

    @Test
    void wordsHaveTimesInsideTheAudio() {
        // a tone is not speech: whatever Vosk makes of it, its times stay within the audio
        Transcript t = vosk.transcribe(AudioDecoder.decode(io.micromesh.testkit.Wavs.tone(16_000, 1, 2), 16_000, 60));
        assertThat(t.seconds()).isEqualTo(2.0);
        t.segments().forEach(s -> assertThat(s.end()).isLessThanOrEqualTo(2.01));
    }

    /** The real voice of ../shared (11 s of a 1961 speech): a word error rate under 0.15. */
    @Test
    void aRealVoiceIsTranscribed() throws Exception {
        Path shared = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "audio");
        assumeTrue(Files.isRegularFile(shared.resolve("jfk-16k.wav")), "../shared/data/audio is absent");
        PcmAudio audio = AudioDecoder.decode(Files.readAllBytes(shared.resolve("jfk-16k.wav")), VoskTranscriber.SAMPLE_RATE, 600);
        Transcript t = vosk.transcribe(audio);
        double wer = WordErrorRate.of(t.text(), Files.readString(shared.resolve("jfk-16k.ref.txt")));
        assertThat(wer).as(t.text()).isLessThan(0.15);
        assertThat(t.segments()).isNotEmpty();
        assertThat(t.segments().getFirst().words()).isNotEmpty();
        assertThat(t.segments().getLast().end()).isLessThanOrEqualTo(audio.seconds() + 0.01);
    }

    /**
     * Speech this test makes with Debian's espeak-ng (installed by .ci/run), 22,050 Hz: synthetic
     * voices are harder for Vosk than real ones, so the bar is a word error rate under 0.5 and the
     * key words heard.
     */
    @Test
    void synthesizedSpeechIsTranscribed(@TempDir Path dir) throws Exception {
        assumeTrue(new java.io.File("/usr/bin/espeak-ng").canExecute(), "espeak-ng is not installed (.ci/run installs it)");
        String said = "hello, my parcel has not arrived and I would like a refund for my order";
        Path wav = dir.resolve("said.wav");
        Process espeak = new ProcessBuilder("espeak-ng", "-s", "140", "-w", wav.toString(), said).redirectErrorStream(true).start();
        assertThat(espeak.waitFor()).isZero();
        Transcript t = vosk.transcribe(AudioDecoder.decode(Files.readAllBytes(wav), VoskTranscriber.SAMPLE_RATE, 60));
        assertThat(WordErrorRate.of(t.text(), said)).as(t.text()).isLessThan(0.5);
        assertThat(t.text()).as(t.text()).contains("arrived").contains("refund").contains("order");
    }

    /** Each thread keeps its recognizer and resets it: the next audio's words get the times they would get first. */
    @Test
    void aReusedRecognizerGivesTheNextAudioItsOwnTimes() {
        assumeTrue(io.micromesh.testkit.Wavs.canSpeak(), "espeak-ng is not installed (.ci/run installs it)");
        PcmAudio said = AudioDecoder.decode(io.micromesh.testkit.Wavs.speech("please cancel my order before it ships"),
                VoskTranscriber.SAMPLE_RATE, 60);
        Transcript first = vosk.transcribe(said);
        vosk.transcribe(AudioDecoder.decode(io.micromesh.testkit.Wavs.tone(16_000, 1, 3), VoskTranscriber.SAMPLE_RATE, 60));
        Transcript again = vosk.transcribe(said);
        assertThat(again.text()).isEqualTo(first.text());
        List<Transcript.Word> a = first.segments().stream().flatMap(s -> s.words().stream()).toList();
        List<Transcript.Word> b = again.segments().stream().flatMap(s -> s.words().stream()).toList();
        assertThat(b).hasSameSizeAs(a).isNotEmpty();
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).start()).as(b.get(i).word()).isCloseTo(a.get(i).start(), org.assertj.core.api.Assertions.within(0.03));
        }
        assertThat(b.getLast().end()).isLessThanOrEqualTo(said.seconds() + 0.01);
    }
}
