package io.micromesh.store;

import io.micromesh.core.MeshException;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.Period;
import io.micromesh.core.accounting.Spending;
import io.micromesh.core.dispatch.Caller;
import java.sql.Connection;
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
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Budgets, rate limits and concurrency limits kept in the gateway's store, exact under concurrency
 * on one instance or several sharing a PostgreSQL store: reserve-then-settle. Before a request is
 * dispatched, one transaction locks the key (PostgreSQL: its row, {@code FOR UPDATE}; SQLite: the
 * database, whose transactions begin immediate), adds the request's largest possible cost and energy
 * to what its key's period and its workflow have reserved — only if spent plus reserved stays within
 * the budget —, counts it in its key's minute (requests and tokens) and checks the key's requests in
 * flight, and records the reservation. Once the request is over, another transaction moves the
 * reservation to what was really spent. A reservation whose gateway died before settling it expires
 * and is settled by any instance at its full reserved amount: budgets err on the side of spending.
 * When the store cannot be reached, reserving fails closed ({@code STORE_UNAVAILABLE}). Thread-safe.
 */
public final class Budgets implements Spending, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Budgets.class.getName());
    private static final double EPSILON = 1e-12;  // sums of doubles: a budget spent exactly is not "over"
    private static final Duration SWEEP = Duration.ofSeconds(5);

    private final Database db;
    private final Clock clock;
    private final Duration holdFor;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mesh-budget-sweeper").daemon().factory());

    /**
     * @param holdFor how long a reservation lasts before it counts as its gateway's loss: longer than
     *                any request can take (the models' {@code deadline-ms})
     */
    public Budgets(Database db, Clock clock, Duration holdFor) {
        this.db = db;
        this.clock = clock;
        this.holdFor = holdFor;
        sweeper.scheduleWithFixedDelay(this::settleExpired, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** What a key (or workflow) has spent and holds reserved in its current period. */
    public record Spend(double spentUsd, double spentWh, double reservedUsd, double reservedWh, Instant periodStart) {
    }

    /** The spending of key {@code keyId} in the current {@code period}. */
    public Spend keySpend(String keyId, Period period) {
        Instant start = period.start(clock.instant());
        return spend("key:" + keyId, start);
    }

    /** The spending of a workflow of a key, over its whole life. */
    public Spend workflowSpend(String keyId, String workflowId) {
        return spend(workflowSubject(keyId, workflowId), Instant.EPOCH);
    }

    private Spend spend(String subject, Instant start) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT spent_usd, spent_wh, reserved_usd, reserved_wh FROM"
                    + " budget_spend WHERE subject = ? AND period_start = ?")) {
                st.setString(1, subject);
                st.setLong(2, start.toEpochMilli());
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? new Spend(rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), start)
                            : new Spend(0, 0, 0, 0, start);
                }
            }
        });
    }

    @Override
    public Hold reserve(Caller caller, Estimate worst) {
        if (!caller.limited()) {
            return Hold.NONE;
        }
        Reservation reservation;
        try {
            reservation = db.inTransaction(c -> reserve(c, caller, worst));
        } catch (StoreException e) {
            LOG.log(System.Logger.Level.WARNING, "budgets: cannot reserve for key " + caller.keyId() + ": " + e.getMessage());
            throw MeshException.of(MeshException.Failure.STORE_UNAVAILABLE, "The store that keeps this key's budgets and"
                    + " limits cannot be reached; requests with budgets or limits are refused until it is back.", e);
        }
        AtomicBoolean settled = new AtomicBoolean();
        return (costUsd, energyWh, tokens) -> {
            if (settled.compareAndSet(false, true)) {
                try {
                    db.inTransaction(c -> settle(c, reservation, costUsd, energyWh, tokens));
                } catch (StoreException e) {
                    LOG.log(System.Logger.Level.WARNING, "budgets: cannot settle reservation " + reservation.id + " ("
                            + e.getMessage() + "); it will count in full when it expires");
                }
            }
        };
    }

    /** A reservation as recorded: what to undo and to whom when it is settled. */
    private record Reservation(String id, String keyId, String subjectOfKey, Long keyPeriod, String subjectOfWorkflow,
                               Long workflowPeriod, double usd, double wh, long tokens, Long rateWindow) {
    }

    private Reservation reserve(Connection c, Caller caller, Estimate worst) throws SQLException {
        long now = clock.millis();
        Grant grant = caller.grant();
        String keyId = caller.keyId();
        if (db.vendor() == Database.Vendor.POSTGRESQL && (grant.budgeted() || grant.rateLimited())) {
            // one reservation of a key at a time across instances, so that its requests in flight are counted right
            try (PreparedStatement st = c.prepareStatement("SELECT id FROM api_keys WHERE id = ? FOR UPDATE")) {
                st.setString(1, keyId);
                st.executeQuery().close();
            }
        }
        String keySubject = null;
        Long keyPeriod = null;
        if (grant.budgeted()) {
            keySubject = "key:" + keyId;
            keyPeriod = grant.period().start(Instant.ofEpochMilli(now)).toEpochMilli();
            if (!take(c, keySubject, keyPeriod, worst, grant.budgetUsd(), grant.budgetWh())) {
                throw refusal(c, keySubject, keyPeriod, worst, grant.budgetUsd(), grant.budgetWh(),
                        "this key's " + switch (grant.period()) {
                            case DAY -> "daily";
                            case MONTH -> "monthly";
                            case TOTAL -> "total";
                        } + " budget");
            }
        }
        String workflowSubject = null;
        Long workflowPeriod = null;
        Caller.Cap cap = caller.workflowCap();
        if (cap.any()) {
            workflowSubject = workflowSubject(keyId, caller.workflowId());
            workflowPeriod = 0L;
            if (!take(c, workflowSubject, workflowPeriod, worst, cap.usd(), cap.wh())) {
                throw refusal(c, workflowSubject, workflowPeriod, worst, cap.usd(), cap.wh(),
                        "the budget of workflow '" + caller.workflowId() + "'");
            }
        }
        Long window = null;
        if (grant.rpm() != null || grant.tpm() != null) {
            window = now - Math.floorMod(now, 60_000L);
            countInWindow(c, keyId, window, worst.tokens(), grant, now);
        }
        if (grant.concurrency() != null) {
            try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM reservations WHERE key_id = ? AND expires_ms > ?")) {
                st.setString(1, keyId);
                st.setLong(2, now);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= grant.concurrency()) {
                        throw MeshException.of(MeshException.Failure.RATE_LIMITED, "This key has " + rs.getLong(1)
                                + " requests in flight, its concurrency limit; retry when one is done.", null, Duration.ofSeconds(1));
                    }
                }
            }
        }
        Reservation r = new Reservation(UUID.randomUUID().toString(), keyId, keySubject, keyPeriod, workflowSubject,
                workflowPeriod, worst.costUsd(), worst.energyWh(), worst.tokens(), window);
        try (PreparedStatement st = c.prepareStatement("INSERT INTO reservations (id, key_id, workflow_id, key_period, wf_period,"
                + " usd, wh, tokens, rate_window, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            st.setString(1, r.id());
            st.setString(2, keyId);
            st.setString(3, workflowSubject == null ? "" : workflowSubject);
            setLong(st, 4, keyPeriod);
            setLong(st, 5, workflowPeriod);
            st.setDouble(6, r.usd());
            st.setDouble(7, r.wh());
            st.setLong(8, r.tokens());
            setLong(st, 9, window);
            st.setLong(10, now + holdFor.toMillis());
            st.executeUpdate();
        }
        return r;
    }

    /** Adds {@code worst} to the subject's reservations if spent plus reserved stays within the limits. */
    private static boolean take(Connection c, String subject, long period, Estimate worst, Double usd, Double wh)
            throws SQLException {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO budget_spend (subject, period_start, spent_usd, spent_wh,"
                + " reserved_usd, reserved_wh) VALUES (?, ?, 0, 0, 0, 0) ON CONFLICT (subject, period_start) DO NOTHING")) {
            st.setString(1, subject);
            st.setLong(2, period);
            st.executeUpdate();
        }
        StringBuilder sql = new StringBuilder("UPDATE budget_spend SET reserved_usd = reserved_usd + ?, reserved_wh = reserved_wh + ?"
                + " WHERE subject = ? AND period_start = ?");
        if (usd != null) {
            sql.append(" AND spent_usd + reserved_usd + ? <= ?");
        }
        if (wh != null) {
            sql.append(" AND spent_wh + reserved_wh + ? <= ?");
        }
        try (PreparedStatement st = c.prepareStatement(sql.toString())) {
            int i = 1;
            st.setDouble(i++, worst.costUsd());
            st.setDouble(i++, worst.energyWh());
            st.setString(i++, subject);
            st.setLong(i++, period);
            if (usd != null) {
                st.setDouble(i++, worst.costUsd());
                st.setDouble(i++, usd + EPSILON);
            }
            if (wh != null) {
                st.setDouble(i++, worst.energyWh());
                st.setDouble(i, wh + EPSILON);
            }
            return st.executeUpdate() == 1;
        }
    }

    private static MeshException refusal(Connection c, String subject, long period, Estimate worst, Double usd, Double wh,
                                         String budget) throws SQLException {
        double spentUsd = 0;
        double spentWh = 0;
        try (PreparedStatement st = c.prepareStatement("SELECT spent_usd + reserved_usd, spent_wh + reserved_wh FROM budget_spend"
                + " WHERE subject = ? AND period_start = ?")) {
            st.setString(1, subject);
            st.setLong(2, period);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    spentUsd = rs.getDouble(1);
                    spentWh = rs.getDouble(2);
                }
            }
        }
        boolean overCost = usd != null && spentUsd + worst.costUsd() > usd + EPSILON;
        String detail = overCost
                ? String.format(Locale.ROOT, "$%.6f of $%.6f is spent or held by requests in flight, and this request may cost"
                        + " up to $%.6f", spentUsd, usd, worst.costUsd())
                : String.format(Locale.ROOT, "%.4f Wh of %.4f Wh is spent or held by requests in flight, and this request may"
                        + " use up to %.4f Wh", spentWh, wh, worst.energyWh());
        return MeshException.of(MeshException.Failure.BUDGET_EXCEEDED, "Serving this request could exceed " + budget + ": "
                + detail + " (a lower max_tokens lowers that bound).", null);
    }

    private static void countInWindow(Connection c, String keyId, long window, long tokens, Grant grant, long now)
            throws SQLException {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO rate_windows (key_id, window_start, requests, tokens)"
                + " VALUES (?, ?, 0, 0) ON CONFLICT (key_id, window_start) DO NOTHING")) {
            st.setString(1, keyId);
            st.setLong(2, window);
            st.executeUpdate();
        }
        StringBuilder sql = new StringBuilder("UPDATE rate_windows SET requests = requests + 1, tokens = tokens + ?"
                + " WHERE key_id = ? AND window_start = ?");
        if (grant.rpm() != null) {
            sql.append(" AND requests + 1 <= ?");
        }
        if (grant.tpm() != null) {
            sql.append(" AND tokens + ? <= ?");
        }
        int updated;
        try (PreparedStatement st = c.prepareStatement(sql.toString())) {
            int i = 1;
            st.setLong(i++, tokens);
            st.setString(i++, keyId);
            st.setLong(i++, window);
            if (grant.rpm() != null) {
                st.setLong(i++, grant.rpm());
            }
            if (grant.tpm() != null) {
                st.setLong(i++, tokens);
                st.setLong(i, grant.tpm());
            }
            updated = st.executeUpdate();
        }
        if (updated == 0) {
            Duration retry = Duration.ofMillis(window + 60_000 - now);
            String what = grant.tpm() != null && tokens > grant.tpm()
                    ? "this request may use up to " + tokens + " tokens, more than the key's " + grant.tpm()
                            + " tokens per minute (a lower max_tokens lowers that bound)"
                    : "this key is at its limit of " + (grant.rpm() != null ? grant.rpm() + " requests" : "")
                            + (grant.rpm() != null && grant.tpm() != null ? " or " : "")
                            + (grant.tpm() != null ? grant.tpm() + " tokens" : "") + " per minute";
            throw MeshException.of(MeshException.Failure.RATE_LIMITED, "Rate limited: " + what + ".", null,
                    Duration.ofSeconds(Math.max(1, (retry.toMillis() + 999) / 1000)));
        }
    }

    private Object settle(Connection c, Reservation r, double usd, double wh, long tokens) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("DELETE FROM reservations WHERE id = ?")) {
            st.setString(1, r.id());
            if (st.executeUpdate() == 0) {
                return null;  // settled already (expired and swept)
            }
        }
        if (r.subjectOfKey() != null) {
            move(c, r.subjectOfKey(), r.keyPeriod(), r, usd, wh);
        }
        if (r.subjectOfWorkflow() != null) {
            move(c, r.subjectOfWorkflow(), r.workflowPeriod(), r, usd, wh);
        }
        if (r.rateWindow() != null) {
            try (PreparedStatement st = c.prepareStatement("UPDATE rate_windows SET tokens = tokens + ? WHERE key_id = ?"
                    + " AND window_start = ?")) {
                st.setLong(1, tokens - r.tokens());
                st.setString(2, r.keyId());
                st.setLong(3, r.rateWindow());
                st.executeUpdate();
            }
        }
        return null;
    }

    private static void move(Connection c, String subject, long period, Reservation r, double usd, double wh) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("UPDATE budget_spend SET reserved_usd = reserved_usd - ?,"
                + " reserved_wh = reserved_wh - ?, spent_usd = spent_usd + ?, spent_wh = spent_wh + ?"
                + " WHERE subject = ? AND period_start = ?")) {
            st.setDouble(1, r.usd());
            st.setDouble(2, r.wh());
            st.setDouble(3, usd);
            st.setDouble(4, wh);
            st.setString(5, subject);
            st.setLong(6, period);
            st.executeUpdate();
        }
    }

    /** Settles, at their full reserved amounts, reservations whose gateway did not (it died, or lost the store). */
    private void settleExpired() {
        try {
            List<Reservation> expired = db.query(c -> {
                try (PreparedStatement st = c.prepareStatement("SELECT id, key_id, workflow_id, key_period, wf_period, usd, wh,"
                        + " tokens, rate_window FROM reservations WHERE expires_ms < ? ORDER BY expires_ms LIMIT 100")) {
                    st.setLong(1, clock.millis());
                    List<Reservation> found = new ArrayList<>();
                    try (ResultSet rs = st.executeQuery()) {
                        while (rs.next()) {
                            String keyId = rs.getString(2);
                            Long keyPeriod = longOrNull(rs, 4);
                            Long wfPeriod = longOrNull(rs, 5);
                            found.add(new Reservation(rs.getString(1), keyId, keyPeriod == null ? null : "key:" + keyId, keyPeriod,
                                    wfPeriod == null ? null : rs.getString(3), wfPeriod, rs.getDouble(6), rs.getDouble(7),
                                    rs.getLong(8), longOrNull(rs, 9)));
                        }
                    }
                    return found;
                }
            });
            for (Reservation r : expired) {
                db.inTransaction(c -> settle(c, r, r.usd(), r.wh(), r.tokens()));
                LOG.log(System.Logger.Level.INFO, "budgets: reservation " + r.id() + " of key " + r.keyId()
                        + " expired unsettled; counted in full");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "budgets: cannot settle expired reservations now: " + e.getMessage());
        }
    }

    static String workflowSubject(String keyId, String workflowId) {
        return "workflow:" + keyId + "/" + workflowId;
    }

    private static Long longOrNull(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static void setLong(PreparedStatement st, int index, Long value) throws SQLException {
        if (value == null) {
            st.setNull(index, Types.BIGINT);
        } else {
            st.setLong(index, value);
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
