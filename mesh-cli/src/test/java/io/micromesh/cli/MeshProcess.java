package io.micromesh.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Running {@code mesh} commands as real processes in tests, the way a user or a supervisor does. */
final class MeshProcess {

    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private MeshProcess() {
    }

    /** The command line of {@code mesh ARGS} on this test's JVM and class path. */
    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(ServeCommand.workerCommand());
        command.addAll(List.of(args));
        return command;
    }

    /** The URL a {@code mesh serve} or {@code mesh engine} process announces on standard output, within 2 minutes. */
    static String awaitListening(Process mesh) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(mesh.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
                throw new IllegalStateException("the mesh process exited before listening");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return url.get(120, TimeUnit.SECONDS);
    }
}
