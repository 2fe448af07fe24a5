package io.micromesh.cli.bench;

import java.util.List;
import java.util.Locale;

/**
 * Renders benchmark results for people: a fixed-width table for the terminal, and a self-contained
 * HTML page whose latency-versus-throughput chart is inline SVG drawn here (no script, nothing
 * fetched when it is viewed). Hand-written because a chart of a few lines needs no library.
 */
public final class Report {

    /** One load point of a benchmark and what it measured. */
    public record Point(String label, int concurrency, Double rate, Figures figures) {
    }

    private Report() {
    }

    private static final String[] COLUMNS = {"load", "req/s", "in tok/s", "out tok/s", "p50 ms", "p99 ms",
        "ttft p50", "itl p50", "tpot p50", "errors"};
    private static final String ROW = "%-20s %9s %10s %10s %9s %9s %9s %9s %9s %7s";

    /** The table header. */
    public static String header() {
        return String.format(Locale.ROOT, ROW, (Object[]) COLUMNS);
    }

    /** One table row. */
    public static String row(Point point) {
        return String.format(Locale.ROOT, ROW, cells(point).toArray());
    }

    private static List<String> cells(Point point) {
        Figures f = point.figures();
        return List.of(point.label(), fixed(f.requestsPerS(), 2), fixed(f.inputTokensPerS(), 1),
                fixed(f.outputTokensPerS(), 1), fixed(f.e2e().p50(), 1), fixed(f.e2e().p99(), 1), fixed(f.ttft().p50(), 1),
                fixed(f.itl().p50(), 2), fixed(f.tpot().p50(), 2), String.valueOf(f.errors()));
    }

    private static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** A self-contained HTML report of the points, with a chart when there are several. */
    public static String html(String title, List<String> notes, List<Point> points) {
        StringBuilder page = new StringBuilder();
        page.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
                        + "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}</style></head><body>");
        page.append("<h1>").append(escape(title)).append("</h1>");
        for (String note : notes) {
            page.append("<p>").append(escape(note)).append("</p>");
        }
        if (points.size() > 1) {
            page.append(chart(points));
        }
        page.append("<table><tr>");
        for (String column : COLUMNS) {
            page.append("<th>").append(escape(column)).append("</th>");
        }
        page.append("</tr>");
        for (Point point : points) {
            page.append("<tr>");
            for (String cell : cells(point)) {
                page.append("<td>").append(escape(cell)).append("</td>");
            }
            page.append("</tr>");
        }
        return page.append("</table></body></html>\n").toString();
    }

    /** Latency (p50, p99, and time to first token when measured) against achieved throughput. */
    static String chart(List<Point> points) {
        int width = 640;
        int height = 360;
        int left = 60;
        int bottom = 40;
        double maxX = points.stream().mapToDouble(p -> p.figures().requestsPerS()).max().orElse(1) * 1.1;
        double maxY = points.stream().mapToDouble(p -> p.figures().e2e().p99()).max().orElse(1) * 1.1;
        maxX = maxX > 0 ? maxX : 1;
        maxY = maxY > 0 ? maxY : 1;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-size=\"11\">", width, height));
        int plotW = width - left - 20;
        int plotH = height - bottom - 20;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>",
                left, 20 + plotH, left + plotW, 20 + plotH));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>",
                left, left, 20 + plotH));
        for (int t = 0; t <= 4; t++) {
            double x = left + plotW * t / 4.0;
            double y = 20 + plotH - plotH * t / 4.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>",
                    x, 20 + plotH + 15, maxX * t / 4));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
                    left - 5, y + 4, maxY * t / 4));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">requests/s</text>",
                left + plotW / 2, height - 5));
        svg.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\""
                + " text-anchor=\"middle\">latency ms</text>", 20 + plotH / 2, 20 + plotH / 2));
        String[][] series = {{"p50", "#1f77b4"}, {"p99", "#d62728"}, {"ttft p50", "#2ca02c"}};
        for (int s = 0; s < series.length; s++) {
            StringBuilder line = new StringBuilder();
            for (Point point : points) {
                Figures f = point.figures();
                double value = switch (s) {
                    case 0 -> f.e2e().p50();
                    case 1 -> f.e2e().p99();
                    default -> f.itl().count() > 0 ? f.ttft().p50() : -1;
                };
                if (value < 0) {
                    continue;
                }
                double x = left + plotW * f.requestsPerS() / maxX;
                double y = 20 + plotH - plotH * value / maxY;
                line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: %.1f ms at %.2f req/s</title></circle>",
                        x, y, series[s][1], escape(point.label()), value, f.requestsPerS()));
            }
            if (!line.isEmpty()) {
                svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" points=\"%s\"/>",
                        series[s][1], line.toString().trim()));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
                        left + plotW - 60, 35 + 14 * s, series[s][1], series[s][0]));
            }
        }
        return svg.append("</svg>").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
