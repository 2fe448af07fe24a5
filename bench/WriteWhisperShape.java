import io.micromesh.engines.whisper.WhisperModelFile;
import java.nio.file.Path;

/**
 * Writes a whisper.cpp model file of a published Whisper shape (tiny, base, small) without weights:
 * whisper.cpp loads it as an empty model and does a real model's work on it, for speed benchmarks.
 */
public class WriteWhisperShape {
    public static void main(String[] args) throws Exception {
        WhisperModelFile.writeEmpty(Path.of(args[0]), WhisperModelFile.Shape.named(args[1]));
    }
}
