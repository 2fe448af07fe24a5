package io.micromesh.engines.audio;

import io.micromesh.engines.audio.AudioDecoder.AudioException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Decodes uploads with Debian's {@code ffmpeg}, run as a child process: MP3, OGG/Opus, FLAC, M4A/AAC,
 * WebM and telephony WAV (8 kHz μ-law, A-law) besides what Java Sound reads, to 16-bit PCM at the
 * engine's rate, resampled by ffmpeg's own resampler (a windowed-sinc filter that removes what the
 * new rate cannot hold, where Java Sound interpolates linearly). A process, not a binding: no FFmpeg
 * binding on Maven Central is both maintained and small (JavaCV's ships about 100 MB of natives per
 * platform), and a decoder that crashes on a hostile file takes only itself down. The upload goes
 * through a temporary file (MP4 keeps its index at the end, which a pipe cannot seek to); the output
 * is bounded to the longest audio accepted, and the process to a wall-clock limit. Found at
 * {@code $MESH_FFMPEG}, else {@code ffmpeg} on the PATH.
 */
public final class FfmpegDecoder {

    /** The longest a decode may run. */
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    private FfmpegDecoder() {
    }

    /** The ffmpeg to run, when there is one. */
    public static Optional<Path> find() {
        String configured = System.getenv("MESH_FFMPEG");
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "ffmpeg");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Decodes a file to interleaved 16-bit little-endian PCM at {@code sampleRate}.
     *
     * @param channels the channels to keep: 1 mixes down, 0 keeps the file's own
     * @return the samples and the number of channels they interleave
     * @throws AudioException when ffmpeg cannot read the file as audio, or it is too long
     */
    static Decoded decode(Path ffmpeg, byte[] file, int sampleRate, int channels, double maxSeconds) {
        Path input = null;
        try {
            input = Files.createTempFile("mesh-audio-", ".upload");
            Files.write(input, file);
            int kept = channels > 0 ? channels : probeChannels(ffmpeg, input);
            List<String> command = new ArrayList<>(List.of(ffmpeg.toString(), "-nostdin", "-hide_banner", "-loglevel", "error",
                    "-i", input.toString(), "-vn", "-t", String.format(Locale.ROOT, "%.3f", maxSeconds + 1),
                    "-ac", String.valueOf(kept), "-ar", String.valueOf(sampleRate), "-f", "s16le", "-acodec", "pcm_s16le",
                    "pipe:1"));
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            ByteArrayOutputStream errors = new ByteArrayOutputStream();
            Thread errorReader = Thread.ofVirtual().start(() -> drain(process.getErrorStream(), errors, 4096));
            long limit = (long) ((maxSeconds + 1) * sampleRate) * 2L * kept;
            ByteArrayOutputStream samples = new ByteArrayOutputStream(64 * 1024);
            drain(process.getInputStream(), samples, limit + 1);
            if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AudioException("the audio file took more than " + TIMEOUT.toSeconds() + " s to decode");
            }
            errorReader.join(1_000);
            if (process.exitValue() != 0) {
                String said = errors.toString(java.nio.charset.StandardCharsets.UTF_8).strip().lines().findFirst().orElse("")
                        .replace(input.toString(), "the upload").replaceAll("\\[(\\w+) @ 0x[0-9a-f]+\\] ", "$1: ");
                throw new AudioException("the file is not audio in a supported format; supported: "
                        + AudioDecoder.SUPPORTED_WITH_FFMPEG + (said.isEmpty() ? "" : " (ffmpeg: " + said + ")"));
            }
            byte[] pcm = samples.toByteArray();
            if (pcm.length == 0) {
                throw new AudioException("the audio file holds no sound (no samples)");
            }
            if (pcm.length / 2.0 / kept / sampleRate > maxSeconds) {
                throw new AudioException(String.format(Locale.ROOT, "the audio lasts more than %.0f s", maxSeconds));
            }
            return new Decoded(pcm, kept);
        } catch (IOException e) {
            throw new UncheckedIOException("ffmpeg could not be run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AudioException("interrupted while decoding the audio file");
        } finally {
            if (input != null) {
                try {
                    Files.deleteIfExists(input);
                } catch (IOException ignored) {
                    // a temporary file; the system's temporary folder is cleaned anyway
                }
            }
        }
    }

    /** Interleaved samples and how many channels they hold. */
    record Decoded(byte[] samples, int channels) {
    }

    /** The file's channel count, from ffmpeg's description of its audio stream (1 when it cannot tell). */
    private static int probeChannels(Path ffmpeg, Path input) throws IOException, InterruptedException {
        Process probe = new ProcessBuilder(ffmpeg.toString(), "-nostdin", "-hide_banner", "-i", input.toString())
                .redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        drain(probe.getInputStream(), out, 64 * 1024);
        probe.waitFor(30, TimeUnit.SECONDS);
        String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        for (String line : text.lines().toList()) {
            if (line.contains("Audio:")) {
                if (line.contains("stereo")) {
                    return 2;
                }
                if (line.contains("mono")) {
                    return 1;
                }
                java.util.regex.Matcher n = java.util.regex.Pattern.compile("(\\d+) channels").matcher(line);
                if (n.find()) {
                    return Math.min(8, Integer.parseInt(n.group(1)));
                }
            }
        }
        return 1;
    }

    private static void drain(InputStream in, ByteArrayOutputStream out, long limit) {
        try (in) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() < limit) {
                    out.write(buffer, 0, (int) Math.min(n, limit - out.size()));
                }
            }
        } catch (IOException e) {
            // the process ended or was killed: what was read is all there is
        }
    }
}
