import io.micromesh.core.spi.PcmAudio;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.engines.audio.FfmpegDecoder;
import io.micromesh.engines.audio.WordErrorRate;
import io.micromesh.engines.vosk.VoskModelFiles;
import io.micromesh.engines.vosk.VoskTranscriber;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Word error rate of Vosk on 8 kHz μ-law telephony audio, upsampled to 16 kHz by Java Sound (linear
 * interpolation) against ffmpeg (its filtering resampler): call-center sentences spoken by espeak-ng
 * at 22,050 Hz, turned into 8 kHz μ-law WAV with ffmpeg, then decoded both ways. The sentences were
 * written for this measurement; nothing is tuned on them.
 */
public class TelephonyWer {
    static final List<String> SENTENCES = List.of(
            "hello I am calling because my internet connection keeps dropping every evening",
            "I would like to cancel my subscription at the end of this month",
            "the package was delivered to the wrong address and nobody was home",
            "can you tell me why my last bill was twice as high as usual",
            "I need to change the phone number on my account please",
            "my credit card was charged two times for the same order",
            "the technician never came although the appointment was confirmed",
            "I want a refund for the broken headphones I received yesterday",
            "please send me a new password because I cannot log in",
            "how long will it take until the replacement router arrives",
            "I moved last week and need the service at my new apartment",
            "the television box shows an error and the picture is frozen");

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("telephony-wer");
        Optional<Path> ffmpeg = FfmpegDecoder.find();
        if (ffmpeg.isEmpty()) {
            throw new IllegalStateException("install Debian's ffmpeg first");
        }
        try (VoskTranscriber vosk = VoskTranscriber.load(VoskModelFiles.english(dir.resolve("cache")))) {
            double errorsJava = 0;
            double errorsFfmpeg = 0;
            int words = 0;
            for (int i = 0; i < SENTENCES.size(); i++) {
                String said = SENTENCES.get(i);
                Path wav = dir.resolve(i + ".wav");
                Path call = dir.resolve(i + "-8k-mulaw.wav");
                run("espeak-ng", "-s", "150", "-w", wav.toString(), said);
                run(ffmpeg.get().toString(), "-nostdin", "-y", "-loglevel", "error", "-i", wav.toString(), "-ar", "8000",
                        "-c:a", "pcm_mulaw", call.toString());
                byte[] file = Files.readAllBytes(call);
                PcmAudio linear = AudioDecoder.decode(file, VoskTranscriber.SAMPLE_RATE, 600, Optional.empty());
                PcmAudio filtered = AudioDecoder.decode(file, VoskTranscriber.SAMPLE_RATE, 600, ffmpeg);
                int n = said.split(" ").length;
                words += n;
                errorsJava += WordErrorRate.of(vosk.transcribe(linear).text(), said) * n;
                errorsFfmpeg += WordErrorRate.of(vosk.transcribe(filtered).text(), said) * n;
            }
            System.out.printf("%d sentences, %d words of 8 kHz mu-law speech: WER %.3f resampled by Java Sound (linear),"
                    + " %.3f by ffmpeg%n", SENTENCES.size(), words, errorsJava / words, errorsFfmpeg / words);
        }
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }
}
