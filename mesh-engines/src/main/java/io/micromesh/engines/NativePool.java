package io.micromesh.engines;

import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A fixed pool of platform threads for an in-process native engine (Vosk, whisper.cpp): native
 * calls are long and must never pin a virtual thread's carrier, and a bounded pool bounds the
 * cores an engine takes. Callers block on a virtual thread while the call runs here. Thread-safe.
 */
public final class NativePool implements AutoCloseable {

    private final String engine;
    private final ExecutorService threads;

    /**
     * @param engine  what the threads run, for their names and error messages (for example "whisper.cpp")
     * @param name    prefix of the threads' names
     * @param threads how many calls run at once
     */
    public NativePool(String engine, String name, int threads) {
        this.engine = engine;
        this.threads = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name(name + "-", 0).daemon().factory());
    }

    /**
     * Runs a native call on the pool and waits for it.
     *
     * @throws MeshException the call's own, or {@code UPSTREAM_ERROR} when it failed otherwise,
     *                          {@code UNAVAILABLE} when the waiting thread was interrupted
     */
    public <T> T call(Callable<T> work) {
        Future<T> result = threads.submit(work);
        try {
            return result.get();
        } catch (InterruptedException e) {
            result.cancel(true);
            Thread.currentThread().interrupt();
            throw MeshException.of(Failure.UNAVAILABLE, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof MeshException known ? known
                    : MeshException.of(Failure.UPSTREAM_ERROR, engine + " failed: " + cause.getMessage(), cause);
        }
    }

    /**
     * Stops taking calls and waits up to 30 s for those running.
     *
     * @return whether none runs any more, so that the engine's native memory may be freed (freeing it
     *         under a running call would crash the process)
     */
    public boolean drain() {
        threads.shutdownNow();
        try {
            return threads.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        drain();
    }
}
