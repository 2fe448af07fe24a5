package io.micromesh.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.spi.UsageSink;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The usage ledger: every {@link UsageRecord} the dispatcher hands over, stored in the gateway's
 * database ({@code usage_records}, schema {@code gateway}). Requests never wait for the database: a
 * record goes into a bounded queue, and one writer thread stores what has gathered in one
 * transaction at a time (up to {@value #BATCH} rows), lingering {@value #LINGER_MS} ms after a
 * batch's first record and sleeping meanwhile, so that a request's hand-over does not wake it (at a
 * few hundred requests a second, a transaction and a thread wake-up per record cost a batch job 90
 * us of CPU per item; {@link #awaitWritten} cuts the linger short). Closing it drains the queue first, so a clean
 * shutdown (SIGTERM) loses nothing. When the database fails, the writer keeps the batch and tries
 * again; only if the queue then fills ({@value #CAPACITY} records waiting) are records dropped,
 * each counted in {@link #dropped()} and the first of a run logged. Records older than the
 * retention are deleted once an hour. Thread-safe.
 */
public final class Ledger implements UsageSink, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());
    static final int CAPACITY = 100_000;
    static final int BATCH = 500;
    static final long LINGER_MS = 100;
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration PRUNE_EVERY = Duration.ofHours(1);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private static final String INSERT = "INSERT INTO usage_records (request_id, at_ms, key_id, workflow_id, route, policy,"
            + " model, replica, lane, task, prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, audio_seconds,"
            + " latency_ms, ttft_ms, status, cost_usd, energy_wh, energy_method, attempts, cache, saved_cost_usd, saved_energy_wh)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final Database db;
    private final Clock clock;
    private final Duration retention;
    private final BlockingQueue<UsageRecord> pending = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong awaited = new AtomicLong();  // the most records anyone waits to see written
    private final Object progress = new Object();
    private final Thread writer;
    private volatile boolean closing;
    private boolean failing;          // the writer's own: whether the last write failed
    private Instant nextPrune;        // the writer's own

    /**
     * Starts a ledger writing into {@code db}, which must be migrated to schema {@code gateway} and
     * stays its caller's to close (after this).
     *
     * @param retention how long records are kept
     */
    public Ledger(Database db, Clock clock, Duration retention) {
        this.db = db;
        this.clock = clock;
        this.retention = retention;
        this.nextPrune = clock.instant();
        this.writer = Thread.ofPlatform().name("mesh-ledger-writer").daemon().start(this::writeUntilClosed);
    }

    @Override
    public void record(UsageRecord usage) {
        if (closing || !pending.offer(usage)) {
            if (dropped.getAndIncrement() == 0 || closing) {
                LOG.log(System.Logger.Level.ERROR, "usage ledger: a record was dropped (request " + usage.requestId() + "): "
                        + (closing ? "the ledger is closed" : CAPACITY + " records wait for the store " + db.where()));
            }
            return;
        }
        offered.incrementAndGet();
    }

    /** Records dropped because the queue was full or the ledger closed. */
    public long dropped() {
        return dropped.get();
    }

    /** Records waiting to be written. */
    public int waiting() {
        return pending.size();
    }

    /**
     * Waits until every record handed over before this call is in the database, or {@code bound} passes.
     *
     * @return whether they all are
     */
    public boolean awaitWritten(Duration bound) throws InterruptedException {
        long target = offered.get();
        long deadline = System.nanoTime() + bound.toNanos();
        awaited.accumulateAndGet(target, Math::max);
        LockSupport.unpark(writer);
        synchronized (progress) {
            while (written.get() < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
        return true;
    }

    /**
     * The totals of the records that arrived in {@code [from, to)}, by {@code group}, largest cost first.
     *
     * @param keyId only this key's records, or empty for everyone's
     * @throws StoreException when the database fails
     */
    public List<UsageTotal> totals(UsageTotal.GroupBy group, Instant from, Instant to, Optional<String> keyId) {
        String column = group.column();
        String sql = "SELECT " + column + ", COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd),"
                + " SUM(energy_wh), SUM(CASE WHEN cache = 'hit' THEN 1 ELSE 0 END), SUM(saved_cost_usd), SUM(saved_energy_wh)"
                + " FROM usage_records WHERE at_ms >= ? AND at_ms < ?"
                + (keyId.isPresent() ? " AND key_id = ?" : "")
                + " GROUP BY " + column + " ORDER BY SUM(cost_usd) DESC, " + column;
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setLong(1, from.toEpochMilli());
                st.setLong(2, to.toEpochMilli());
                if (keyId.isPresent()) {
                    st.setString(3, keyId.get());
                }
                List<UsageTotal> totals = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        totals.add(new UsageTotal(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5),
                                rs.getDouble(6), rs.getLong(7), rs.getDouble(8), rs.getDouble(9)));
                    }
                }
                return totals;
            }
        });
    }

    /**
     * The traffic of {@code [from, to)} as streams for the planner: one row per stream (a route, or a
     * model asked for by name) and model that served it, with its requests, tokens, energy and time,
     * and the stream's busiest hour. Only answered requests count, and not those answered from the
     * response cache (they used no model).
     *
     * @throws StoreException when the database fails
     */
    public List<Traffic> traffic(Instant from, Instant to) {
        String stream = "CASE WHEN route <> '' THEN route ELSE model END";
        Map<String, Long> busiest = db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT s, MAX(n) FROM (SELECT " + stream + " AS s, at_ms / 3600000"
                    + " AS h, COUNT(*) AS n FROM usage_records WHERE at_ms >= ? AND at_ms < ? AND status = 'ok'"
                    + " AND cache <> 'hit' GROUP BY " + stream + ", at_ms / 3600000) hours GROUP BY s")) {
                st.setLong(1, from.toEpochMilli());
                st.setLong(2, to.toEpochMilli());
                Map<String, Long> max = new java.util.HashMap<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        max.put(rs.getString(1), rs.getLong(2));
                    }
                }
                return max;
            }
        });
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT " + stream + ", model, COUNT(*), SUM(prompt_tokens),"
                    + " SUM(completion_tokens), SUM(energy_wh), SUM(latency_ms), SUM(audio_seconds) FROM usage_records"
                    + " WHERE at_ms >= ? AND at_ms < ? AND status = 'ok' AND model <> '' AND cache <> 'hit'"
                    + " GROUP BY " + stream + ", model"
                    + " ORDER BY 1, 3 DESC")) {
                st.setLong(1, from.toEpochMilli());
                st.setLong(2, to.toEpochMilli());
                List<Traffic> rows = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Traffic(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                                rs.getDouble(6), rs.getDouble(7), rs.getDouble(8), busiest.getOrDefault(rs.getString(1), 0L)));
                    }
                }
                return rows;
            }
        });
    }

    /**
     * What one model served of one stream.
     *
     * @param stream              the route, or the model asked for by name
     * @param model               the model that answered
     * @param requests            answered requests
     * @param promptTokens        their prompt tokens
     * @param completionTokens    their completion tokens
     * @param energyWh            their energy
     * @param latencyMs           their latencies added up
     * @param audioSeconds        seconds of audio transcribed
     * @param streamBusiestHour   the stream's requests in its busiest clock hour
     */
    /**
     * A workflow's totals, per model that served it.
     *
     * @param model    the model (empty for requests no model answered)
     * @param requests requests (client calls) of the workflow it served
     */
    public record WorkflowPart(String model, long requests, long promptTokens, long completionTokens, double costUsd,
                               double energyWh) {
    }

    /**
     * The requests of a workflow, by the model that served them: of one key, or of any.
     *
     * @throws StoreException when the database fails
     */
    public List<WorkflowPart> workflow(String workflowId, Optional<String> keyId) {
        String sql = "SELECT model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd), SUM(energy_wh)"
                + " FROM usage_records WHERE workflow_id = ?" + (keyId.isPresent() ? " AND key_id = ?" : "")
                + " GROUP BY model ORDER BY COUNT(*) DESC, model";
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, workflowId);
                if (keyId.isPresent()) {
                    st.setString(2, keyId.get());
                }
                List<WorkflowPart> parts = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        parts.add(new WorkflowPart(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5),
                                rs.getDouble(6)));
                    }
                }
                return parts;
            }
        });
    }

    public record Traffic(String stream, String model, long requests, long promptTokens, long completionTokens,
                          double energyWh, double latencyMs, double audioSeconds, long streamBusiestHour) {
    }

    /** Stops taking records, writes those waiting (for up to 30 s), and stops the writer. */
    @Override
    public void close() {
        closing = true;
        writer.interrupt();
        try {
            writer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!pending.isEmpty()) {
            LOG.log(System.Logger.Level.ERROR, "usage ledger: " + pending.size() + " records could not be written to "
                    + db.where() + " before shutdown");
        }
    }

    /** The writer: batches until closed and the queue is empty; a failed batch is kept and tried again. */
    private void writeUntilClosed() {
        List<UsageRecord> batch = new ArrayList<>(BATCH);
        while (true) {
            if (batch.isEmpty()) {
                UsageRecord first = next();
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    pruneWhenDue();
                    continue;
                }
                batch.add(first);
                linger();
                pending.drainTo(batch, BATCH - 1);
            }
            if (write(batch)) {
                batch.clear();
            } else {
                pause(RETRY);
            }
        }
    }

    /** Sleeps while a batch gathers: until the linger is over, a batch's worth waits, or someone waits for the records. */
    private void linger() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MS);
        long left;
        while (!closing && awaited.get() <= written.get() && pending.size() < BATCH - 1 && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }

    /** The next record: waits up to a second for one, or none at all once closing. */
    private UsageRecord next() {
        if (closing) {
            return pending.poll();
        }
        try {
            return pending.poll(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            return null;  // close() wakes the writer to drain the queue
        }
    }

    private static void pause(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            // close() woke the writer: it goes on draining
        }
    }

    private boolean write(List<UsageRecord> batch) {
        try {
            db.inTransaction(c -> {
                try (PreparedStatement st = c.prepareStatement(INSERT)) {
                    for (UsageRecord r : batch) {
                        bind(st, r);
                        st.addBatch();
                    }
                    st.executeBatch();
                }
                return null;
            });
        } catch (StoreException e) {
            if (!failing) {
                LOG.log(System.Logger.Level.ERROR, "usage ledger: cannot write to " + db.where() + " (" + e.getMessage()
                        + "); keeping " + batch.size() + " records and retrying every " + RETRY.toSeconds() + " s");
            }
            failing = true;
            return false;
        }
        if (failing) {
            LOG.log(System.Logger.Level.INFO, "usage ledger: writing to " + db.where() + " again");
            failing = false;
        }
        written.addAndGet(batch.size());
        synchronized (progress) {
            progress.notifyAll();
        }
        return true;
    }

    private static void bind(PreparedStatement st, UsageRecord r) throws SQLException {
        st.setString(1, r.requestId());
        st.setLong(2, r.at().toEpochMilli());
        st.setString(3, r.keyId());
        st.setString(4, r.workflowId());
        st.setString(5, r.route());
        st.setString(6, r.policy());
        st.setString(7, r.model());
        st.setString(8, r.replica());
        st.setString(9, r.lane().key());
        st.setString(10, r.task());
        st.setLong(11, r.promptTokens());
        st.setLong(12, r.completionTokens());
        st.setLong(13, r.cachedTokens());
        st.setBoolean(14, r.tokensEstimated());
        st.setDouble(15, r.audioSeconds());
        st.setDouble(16, r.latencyNanos() / 1e6);
        if (r.ttftNanos() < 0) {
            st.setNull(17, Types.DOUBLE);
        } else {
            st.setDouble(17, r.ttftNanos() / 1e6);
        }
        st.setString(18, r.status());
        st.setDouble(19, r.costUsd());
        st.setDouble(20, r.energyWh());
        st.setString(21, r.energyMethod().key());
        st.setString(22, attempts(r));
        st.setString(23, r.cache());
        st.setDouble(24, r.savedCostUsd());
        st.setDouble(25, r.savedEnergyWh());
    }

    private static String attempts(UsageRecord r) {
        ArrayNode list = Json.mapper().createArrayNode();
        for (UsageRecord.Attempt a : r.attempts()) {
            ObjectNode attempt = list.addObject();
            attempt.put("model", a.model());
            if (!a.replica().isEmpty()) {
                attempt.put("replica", a.replica());
            }
            attempt.put("kind", a.kind().name().toLowerCase(Locale.ROOT));
            attempt.put("prompt_tokens", a.tokens().prompt());
            attempt.put("completion_tokens", a.tokens().completion());
            attempt.put("cost_usd", a.charge().costUsd());
            attempt.put("energy_wh", a.charge().energyWh());
            attempt.put("result", a.result());
            if (!a.verdict().isEmpty()) {
                attempt.put("verdict", a.verdict());
            }
        }
        return list.toString();
    }

    private void pruneWhenDue() {
        Instant now = clock.instant();
        if (now.isBefore(nextPrune)) {
            return;
        }
        nextPrune = now.plus(PRUNE_EVERY);
        try {
            int deleted = db.query(c -> {
                try (PreparedStatement st = c.prepareStatement("DELETE FROM usage_records WHERE at_ms < ?")) {
                    st.setLong(1, now.minus(retention).toEpochMilli());
                    return st.executeUpdate();
                }
            });
            if (deleted > 0) {
                LOG.log(System.Logger.Level.INFO, "usage ledger: deleted " + deleted + " records older than "
                        + retention.toDays() + " days");
            }
        } catch (StoreException e) {
            LOG.log(System.Logger.Level.WARNING, "usage ledger: cannot delete old records: " + e.getMessage());
        }
    }
}
