package io.micromesh.engines.vosk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.engines.audio.FfmpegDecoder;
import io.micromesh.engines.audio.WordErrorRate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The formats call recordings come in, made here from espeak-ng's speech with Debian's ffmpeg (both
 * installed by .ci/run), decoded by {@link AudioDecoder} through ffmpeg and transcribed by Vosk: each
 * must keep the audio's length and its key words, including an 8 kHz μ-law and an A-law call, and a
 * stereo call must come apart into its two channels.
 */
@Timeout(300)
class AudioFormatsTest {

    @TempDir
    static Path dir;

    private static VoskTranscriber vosk;
    private static Path speech;
    private static final String SAID = "hello, my parcel has not arrived and I would like a refund for my order";

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(FfmpegDecoder.find().isPresent(), "ffmpeg is not installed (.ci/run installs it)");
        assumeTrue(new java.io.File("/usr/bin/espeak-ng").canExecute(), "espeak-ng is not installed (.ci/run installs it)");
        vosk = VoskTranscriber.load(VoskModelFiles.english(dir.resolve("cache")));
        speech = dir.resolve("said.wav");
        run("espeak-ng", "-s", "140", "-w", speech.toString(), SAID);
    }

    @AfterAll
    static void close() {
        if (vosk != null) {
            vosk.close();
        }
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
    }

    static byte[] encoded(String name, String... options) throws Exception {
        Path out = dir.resolve(name);
        List<String> command = new java.util.ArrayList<>(List.of("ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i",
                speech.toString()));
        command.addAll(List.of(options));
        command.add(out.toString());
        run(command.toArray(String[]::new));
        return Files.readAllBytes(out);
    }

    @Test
    void everyCallRecordingFormatIsDecodedAndTranscribed() throws Exception {
        double seconds = AudioDecoder.decode(Files.readAllBytes(speech), VoskTranscriber.SAMPLE_RATE, 600).seconds();
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("mp3", encoded("call.mp3", "-c:a", "libmp3lame", "-b:a", "64k"));
        files.put("ogg/opus", encoded("call.ogg", "-c:a", "libopus", "-b:a", "32k"));
        files.put("flac", encoded("call.flac"));
        files.put("m4a/aac", encoded("call.m4a", "-c:a", "aac", "-b:a", "64k"));
        files.put("webm/opus", encoded("call.webm", "-c:a", "libopus", "-b:a", "32k"));
        files.put("wav μ-law 8 kHz", encoded("mulaw.wav", "-ar", "8000", "-c:a", "pcm_mulaw"));
        files.put("wav A-law 8 kHz", encoded("alaw.wav", "-ar", "8000", "-c:a", "pcm_alaw"));
        for (var file : files.entrySet()) {
            PcmAudio audio = AudioDecoder.decode(file.getValue(), VoskTranscriber.SAMPLE_RATE, 600);
            assertThat(audio.sampleRate()).isEqualTo(VoskTranscriber.SAMPLE_RATE);
            assertThat(audio.seconds()).as(file.getKey()).isCloseTo(seconds, org.assertj.core.api.Assertions.within(0.15));
            Transcript t = vosk.transcribe(audio);
            assertThat(WordErrorRate.of(t.text(), SAID)).as(file.getKey() + ": " + t.text()).isLessThan(0.5);
            assertThat(t.text()).as(file.getKey()).contains("refund").contains("order");
        }
    }

    @Test
    void aStereoCallComesApartIntoItsChannels() throws Exception {
        // the speech on the left, silence on the right, as a stereo 8 kHz μ-law call
        byte[] stereo = encoded("stereo.wav", "-af", "pan=stereo|c0=c0|c1=0*c0", "-ar", "8000", "-c:a", "pcm_mulaw");
        List<PcmAudio> channels = AudioDecoder.channels(stereo, VoskTranscriber.SAMPLE_RATE, 600);
        assertThat(channels).hasSize(2);
        assertThat(vosk.transcribe(channels.get(0)).text()).contains("refund");
        assertThat(vosk.transcribe(channels.get(1)).text()).isBlank();
    }

    @Test
    void bytesThatAreNotAudioAreRefusedClearly() {
        assertThatThrownBy(() -> AudioDecoder.decode("this is not a recording at all, only text".getBytes(),
                VoskTranscriber.SAMPLE_RATE, 600)).isInstanceOf(AudioDecoder.AudioException.class)
                .hasMessageContaining("not audio");
    }
}
