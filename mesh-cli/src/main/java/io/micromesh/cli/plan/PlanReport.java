package io.micromesh.cli.plan;

import io.micromesh.core.plan.Catalog;
import io.micromesh.core.plan.Plan;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * A plan for people: a table for the terminal, and a self-contained HTML report (inline SVG bar
 * charts of cost, energy and units per stream and deployment, the sources of every figure; no
 * script, no network). Hand-written because both are a page of text; no template engine needed.
 */
public final class PlanReport {

    private PlanReport() {
    }

    /** The plan as a table, with the totals and how they were counted. */
    public static String table(Plan plan) {
        StringBuilder out = new StringBuilder();
        String format = "%-18s %-30s %6s %8s %11s %12s %11s %11s%n";
        out.append(String.format(Locale.ROOT, format, "STREAM", "DEPLOYMENT", "SHARE", "UNITS", "UTILISATION", "USD/DAY",
                "KWH/DAY", "CO2 KG/DAY"));
        List<Plan.Row> counted = plan.counted();
        for (Plan.Row r : plan.rows()) {
            out.append(String.format(Locale.ROOT, format, clip(r.stream(), 18), clip(r.deployment(), 30)
                            + (counted.contains(r) ? "" : " *"), percent(r.share()), r.units(), percent(r.utilisation()),
                    money(r.usdPerDay()), number(r.kwhPerDay()), number(r.co2KgPerDay())));
        }
        Plan.Totals t = plan.totals();
        out.append(String.format(Locale.ROOT, format, "TOTAL", "", "", "", "", money(t.usdPerDay()), number(t.kwhPerDay()),
                number(t.co2KgPerDay())));
        if (counted.size() < plan.rows().size()) {
            out.append("* an alternative: a stream without a route is planned on every deployment that serves it; the"
                    + " total counts its cheapest\n");
        }
        out.append(String.format(Locale.ROOT, "max utilisation %s at peak, grid %.0f g CO2/kWh%n",
                percent(plan.settings().maxUtilisation()), plan.settings().gridGCo2PerKwh()));
        return out.toString();
    }

    /** The plan as one HTML page. */
    public static String html(Plan plan, Catalog catalog) {
        StringBuilder page = new StringBuilder("""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>micromesh plan</title>
                <style>
                body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2733; max-width: 70rem; }
                table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
                th, td { padding: .3rem .6rem; border-bottom: 1px solid #d7dde4; text-align: right; }
                th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
                tr.alternative td { color: #6b7785; }
                svg text { font: 12px system-ui, sans-serif; fill: #1d2733; }
                .note { color: #6b7785; font-size: 13px; }
                </style></head><body>
                <h1>Capacity, cost and energy plan</h1>
                """);
        Plan.Totals t = plan.totals();
        page.append("<p><b>").append(money(t.usdPerDay())).append(" US$ a day</b>, <b>").append(number(t.kwhPerDay()))
                .append(" kWh a day</b>, <b>").append(number(t.co2KgPerDay())).append(" kg CO2 a day</b> (max utilisation ")
                .append(percent(plan.settings().maxUtilisation())).append(" at peak, grid ")
                .append(String.format(Locale.ROOT, "%.0f", plan.settings().gridGCo2PerKwh())).append(" g/kWh).</p>\n");
        page.append("<table><thead><tr><th>stream</th><th>deployment</th><th>share</th><th>units</th><th>utilisation</th>"
                + "<th>US$/day</th><th>kWh/day</th><th>kg CO2/day</th></tr></thead><tbody>\n");
        List<Plan.Row> counted = plan.counted();
        for (Plan.Row r : plan.rows()) {
            page.append("<tr").append(counted.contains(r) ? "" : " class=\"alternative\"").append("><td>").append(escape(r.stream()))
                    .append("</td><td>").append(escape(r.deployment())).append(counted.contains(r) ? "" : " (alternative)")
                    .append("</td><td>").append(percent(r.share())).append("</td><td>").append(r.units()).append("</td><td>")
                    .append(percent(r.utilisation())).append("</td><td>").append(money(r.usdPerDay())).append("</td><td>")
                    .append(number(r.kwhPerDay())).append("</td><td>").append(number(r.co2KgPerDay())).append("</td></tr>\n");
        }
        page.append("</tbody></table>\n");
        page.append("<h2>Cost per day (US$)</h2>\n").append(bars(plan.rows(), Plan.Row::usdPerDay));
        page.append("<h2>Energy per day (kWh)</h2>\n").append(bars(plan.rows(), Plan.Row::kwhPerDay));
        page.append("<h2>Units at peak</h2>\n").append(bars(plan.rows(), r -> r.units()));
        page.append("<h2>Sources</h2>\n<ul>\n");
        plan.rows().stream().map(Plan.Row::deployment).distinct().forEach(name -> catalog.deployment(name).ifPresent(d -> {
            page.append("<li><b>").append(escape(d.name())).append("</b> (").append(escape(d.model())).append(" on ")
                    .append(escape(d.hardware().name() == null ? d.hardware().kind() : d.hardware().name()))
                    .append("): throughput: ").append(escape(d.throughput().source()));
            if (d.hardware().source() != null) {
                page.append("; hardware: ").append(escape(d.hardware().source()));
            }
            page.append("</li>\n");
        }));
        page.append("</ul>\n<p class=\"note\">Made by <code>mesh plan</code>. Alternatives (grey) are the same stream on"
                + " other deployments; the totals count the routed shares and, for a stream without a route, its"
                + " cheapest deployment.</p>\n</body></html>\n");
        return page.toString();
    }

    /** A horizontal bar chart, one bar per row, in inline SVG. */
    private static String bars(List<Plan.Row> rows, ToDoubleFunction<Plan.Row> value) {
        double max = rows.stream().mapToDouble(value).max().orElse(1);
        int rowHeight = 26;
        int labelWidth = 300;
        int barWidth = 420;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\">%n",
                labelWidth + barWidth + 120, rows.size() * rowHeight + 10));
        for (int i = 0; i < rows.size(); i++) {
            Plan.Row r = rows.get(i);
            double v = value.applyAsDouble(r);
            double width = max <= 0 ? 0 : v / max * barWidth;
            int y = i * rowHeight + 5;
            svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\">%s</text>", y + 16,
                    escape(clip(r.stream() + " on " + r.deployment(), 46))));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"></rect>",
                    labelWidth, y + 2, Math.max(width, 1), r.routed() ? "#2f6fb3" : "#9db7d5"));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n", labelWidth + Math.max(width, 1) + 6,
                    y + 16, number(v)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String clip(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width - 1) + "…";
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static String money(double usd) {
        return usd >= 100 ? String.format(Locale.ROOT, "%,.0f", usd) : String.format(Locale.ROOT, "%.2f", usd);
    }

    private static String number(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.2f", value);
    }
}
