package io.micromesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.core.config.StoreSettings;
import io.micromesh.jobs.docs.DocumentStore;
import io.micromesh.store.Database;
import io.micromesh.store.DocumentIndex;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mesh docs}: documents converted once into a document store, processed many times. */
@Command(name = "docs",
        mixinStandardHelpOptions = true,
        description = "Convert documents (PDF, text) to Markdown once, into a document store, and read them back.",
        subcommands = {DocsCommand.Ingest.class, DocsCommand.Show.class, DocsCommand.ListDocs.class, DocsCommand.Run.class,
                CommandLine.HelpCommand.class})
final class DocsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the store is: the configuration's store for the index, a folder for the Markdown. */
    static final class Where {
        @Option(names = "--store", paramLabel = "DIR",
                description = "The document store's folder (default: STATE-DIR/documents of the configuration).")
        Path store;

        @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
                description = "The configuration whose store keeps the index (default: ${DEFAULT-VALUE}; defaults when absent).")
        Path config;

        /** The store, opened (its schema migrated); close the database after use. */
        Opened open(DocumentStore.Limits limits) {
            ServerSettings server = ServerSettings.defaults();
            StoreSettings store = StoreSettings.defaults();
            if (Files.exists(config)) {
                MeshConfig mesh = LocalPortfolio.load(config);
                server = mesh.server();
                store = mesh.store();
            }
            Database db;
            try {
                db = Database.open(store, Path.of(server.stateDir()));
                db.migrate("gateway");
            } catch (RuntimeException e) {
                throw new UserError("cannot open the store: " + e.getMessage());
            }
            Path folder = this.store != null ? this.store : Path.of(server.stateDir(), "documents");
            return new Opened(db, new DocumentStore(folder, new DocumentIndex(db, Clock.systemUTC()), limits));
        }
    }

    /** An opened store and its database. */
    record Opened(Database db, DocumentStore store) implements AutoCloseable {
        @Override
        public void close() {
            db.close();
        }
    }

    @Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Convert PDF and text files (or the files under folders) to Markdown, once per distinct content:"
                    + " a file converted before (same bytes, same converter) is reused. Each page is classified text or"
                    + " visual, with the reason.",
                    "The last line is one JSON object: documents, converted, reused, pages, visual_pages, failed, items."})
    static final class Ingest implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or folders.")
        List<Path> paths;

        @CommandLine.Mixin
        Where where = new Where();

        @Option(names = "--converter", paramLabel = "NAME", defaultValue = "pdfbox",
                description = "pdfbox (default: in process, with POI for DOCX and jsoup for HTML), or docling (a Docling"
                        + " Serve instance at --docling-url converts every file); tika is not available.")
        String converter;

        @Option(names = "--docling-url", paramLabel = "URL", defaultValue = "${env:DOCLING_SERVE_URL}",
                description = "With --converter docling: the Docling Serve instance (default: $DOCLING_SERVE_URL).")
        String doclingUrl;

        @Option(names = "--max-pages", paramLabel = "N", defaultValue = "2000",
                description = "A document with more pages is refused (default: ${DEFAULT-VALUE}).")
        int maxPages;

        @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "209715200",
                description = "A larger file is refused (default: ${DEFAULT-VALUE}, 200 MiB).")
        long maxBytes;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!converter.equals("pdfbox") && !converter.equals("docling")) {
                throw new UserError("--converter " + converter + ": pdfbox or docling (tika is not available: DOCX and HTML are"
                        + " read in process with POI and jsoup)");
            }
            if (converter.equals("docling") && (doclingUrl == null || !doclingUrl.matches("https?://[^/]+/?"))) {
                throw new UserError("--converter docling needs --docling-url http(s)://HOST:PORT (or $DOCLING_SERVE_URL)");
            }
            if (maxPages < 1 || maxBytes < 1) {
                throw new UserError("--max-pages and --max-bytes must be at least 1");
            }
            List<Path> files = new ArrayList<>();
            for (Path path : paths) {
                if (Files.isDirectory(path)) {
                    try (Stream<Path> walk = Files.walk(path)) {
                        walk.filter(Files::isRegularFile).sorted().forEach(files::add);
                    } catch (IOException e) {
                        throw new UserError("cannot read the folder " + path + ": " + e.getMessage());
                    }
                } else if (Files.isRegularFile(path)) {
                    files.add(path);
                } else {
                    throw new UserError(path + ": no such file or folder");
                }
            }
            PrintWriter err = spec.commandLine().getErr();
            ProgressReporter progress = ProgressReporter.forConsole(err, "mesh docs", ProgressReporter.Unit.ITEMS,
                    Clock.systemUTC());
            ObjectNode summary = Json.object();
            ArrayNode items = Json.mapper().createArrayNode();
            long converted = 0;
            long reused = 0;
            long failed = 0;
            long pages = 0;
            long visual = 0;
            try (Opened opened = where.open(new DocumentStore.Limits(maxBytes, maxPages))) {
                if (converter.equals("docling")) {
                    opened.store().withDocling(new io.micromesh.engines.docs.DoclingConverter(java.net.URI.create(doclingUrl),
                            java.time.Duration.ofMinutes(10)));
                }
                for (int i = 0; i < files.size(); i++) {
                    progress.progress(i, files.size());
                    DocumentStore.Ingested result = opened.store().ingest(files.get(i));
                    ObjectNode item = items.addObject().put("path", result.path());
                    switch (result) {
                        case DocumentStore.Ingested.Converted c -> {
                            converted++;
                            pages += c.document().pages();
                            visual += c.document().visualPages();
                            describe(item, c.document(), "converted");
                        }
                        case DocumentStore.Ingested.Reused r -> {
                            reused++;
                            pages += r.document().pages();
                            visual += r.document().visualPages();
                            describe(item, r.document(), "reused");
                        }
                        case DocumentStore.Ingested.Failed f -> {
                            failed++;
                            item.putNull("id").put("pages", 0).put("visual_pages", 0).put("status", "failed: " + f.reason());
                            err.println("mesh docs: " + f.path() + ": " + f.reason());
                        }
                    }
                }
                progress.finished(files.size(), files.size());
            }
            summary.put("documents", files.size()).put("converted", converted).put("reused", reused).put("pages", pages)
                    .put("visual_pages", visual).put("failed", failed);
            summary.set("items", items);
            spec.commandLine().getOut().println(Json.string(summary));
            return 0;
        }
    }

    /** An ingested file's item in the summary line. */
    private static void describe(ObjectNode item, DocumentIndex.Document d, String status) {
        item.put("id", d.id()).put("pages", d.pages()).put("visual_pages", d.visualPages()).put("status", status);
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a document's Markdown (each page after a <!-- page N --> marker), or one page's.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The document's id (or its first 8 characters or more).")
        String id;

        @Option(names = "--page", paramLabel = "N", description = "Only this page (1-based).")
        Integer page;

        @CommandLine.Mixin
        Where where = new Where();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Opened opened = where.open(new DocumentStore.Limits(1, 1))) {
                DocumentIndex.Document document = opened.store().index().get(id)
                        .orElseThrow(() -> new UserError("no document with id " + id + " (see mesh docs list)"));
                if (page != null && (page < 1 || page > document.pages())) {
                    throw new UserError("--page " + page + ": the document has pages 1 to " + document.pages());
                }
                Optional<String> markdown = opened.store().markdown(document.id(), page);
                spec.commandLine().getOut().print(markdown.orElseThrow(() -> new UserError("the Markdown of " + document.id()
                        + " is not in the store's folder: run mesh docs ingest with the --store it was ingested into")));
                spec.commandLine().getOut().flush();
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the documents of the store.")
    static final class ListDocs implements Callable<Integer> {
        @CommandLine.Mixin
        Where where = new Where();

        @Option(names = "--json", description = "One JSON object instead of a table.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Opened opened = where.open(new DocumentStore.Limits(1, 1))) {
                List<DocumentIndex.Document> documents = opened.store().index().list();
                if (json) {
                    out.println(Json.string(Json.object().set("documents", Json.mapper().valueToTree(documents))));
                    return 0;
                }
                out.printf("%-16s %6s %7s  %s%n", "id", "pages", "visual", "path");
                for (DocumentIndex.Document d : documents) {
                    out.printf("%-16s %6d %7d  %s%n", d.id().substring(0, 16), d.pages(), d.visualPages(), d.path());
                }
            }
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run a task (a task file, or a built-in: summarize, quantities) over the stored documents' chunks,"
                    + " as a resumable batch job: chunks split at headings and a token budget, each a record with its text;"
                    + " documents are read from the store, never converted again. A visual page goes whole, as an image,"
                    + " to the route's candidate with vision when the portfolio has one; otherwise it is skipped and counted.",
                    "The chunks are written to OUTPUT.records.jsonl, then run as 'mesh batch run' runs a task; the last"
                    + " line is one JSON object: documents, chunks, visual_pages_skipped, output."})
    static final class Run implements Callable<Integer> {
        @Option(names = "--task", paramLabel = "FILE|NAME", required = true,
                description = "A task file, or a built-in task (summarize, quantities); its prompt uses {{text}}.")
        String task;

        @Option(names = "--route", paramLabel = "R", description = "The route or model that answers, instead of the task's own.")
        String route;

        @Option(names = "--out", paramLabel = "OUTPUT.jsonl", required = true, description = "Where the results go.")
        Path out;

        @Option(names = "--select", paramLabel = "QUERY",
                description = "Only documents whose path contains QUERY (case-insensitive) or whose id starts with it.")
        String select;

        @Option(names = "--chunk-tokens", paramLabel = "N", defaultValue = "1500",
                description = "The most tokens a chunk holds, about (default: ${DEFAULT-VALUE}).")
        int chunkTokens;

        @Option(names = "--url", paramLabel = "URL", description = "Run against a gateway instead of the portfolio of --config.")
        String url;

        @Option(names = "--resume", description = "Continue an earlier run of the same chunks (after a kill or a stop).")
        boolean resume;

        @Option(names = "--image-tokens", paramLabel = "N", defaultValue = "1100",
                description = "For the report: the prompt tokens a page costs a vision model as an image (default:"
                        + " ${DEFAULT-VALUE}, a 794 x 1123 page in 28-pixel patches; set your model's).")
        int imageTokens;

        @CommandLine.Mixin
        Where where = new Where();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (chunkTokens < 16) {
                throw new UserError("--chunk-tokens must be at least 16");
            }
            Path records = out.resolveSibling(out.getFileName() + ".records.jsonl");
            boolean vision = visionServed();
            long documents = 0;
            long chunks = 0;
            long skipped = 0;
            long images = 0;
            long textPages = 0;
            StringBuilder lines = new StringBuilder();
            try (Opened opened = where.open(new DocumentStore.Limits(1, 1))) {
                List<DocumentIndex.Document> all = new ArrayList<>(opened.store().index().list());
                all.sort(java.util.Comparator.comparing(DocumentIndex.Document::path).thenComparing(DocumentIndex.Document::id));
                for (DocumentIndex.Document d : all) {
                    if (select != null && !d.path().toLowerCase(java.util.Locale.ROOT).contains(select.toLowerCase(java.util.Locale.ROOT))
                            && !d.id().startsWith(select)) {
                        continue;
                    }
                    documents++;
                    StringBuilder text = new StringBuilder();
                    for (DocumentIndex.Page page : opened.store().index().pages(d.id())) {
                        if (page.kind().equals("visual")) {
                            Optional<byte[]> png = vision ? opened.store().image(d.id(), page.page()) : Optional.empty();
                            if (png.isEmpty()) {
                                skipped++;
                                continue;
                            }
                            // a visual page goes whole, as an image with its little text, to the route's vision candidate
                            images++;
                            chunks++;
                            lines.append(Json.string(Json.object().put("id", d.id().substring(0, 16) + "-p" + page.page())
                                    .put("document", d.id()).put("path", d.path()).put("pages", "" + page.page())
                                    .put("text", opened.store().markdown(d.id(), page.page()).orElse("").strip())
                                    .put(io.micromesh.jobs.task.BatchTask.IMAGE_FIELD, "data:image/png;base64,"
                                            + java.util.Base64.getEncoder().encodeToString(png.get())))).append('\n');
                            continue;
                        }
                        textPages++;
                        text.append("<!-- page ").append(page.page()).append(" -->\n\n")
                                .append(opened.store().markdown(d.id(), page.page()).orElse("")).append("\n\n");
                    }
                    int n = 0;
                    for (io.micromesh.jobs.docs.Chunks.Chunk chunk : io.micromesh.jobs.docs.Chunks.of(text.toString(), chunkTokens)) {
                        n++;
                        chunks++;
                        lines.append(Json.string(Json.object().put("id", d.id().substring(0, 16) + "-" + n).put("document", d.id())
                                .put("path", d.path()).put("pages", chunk.firstPage() == chunk.lastPage() ? "" + chunk.firstPage()
                                        : chunk.firstPage() + "-" + chunk.lastPage()).put("text", chunk.text()))).append('\n');
                    }
                }
            }
            if (chunks == 0) {
                throw new UserError(documents == 0 ? "no document in the store" + (select == null ? "" : " matches --select " + select)
                        + "; ingest some with mesh docs ingest" : "the selected documents have no text pages");
            }
            try {
                Files.writeString(records, lines);
            } catch (IOException e) {
                throw new UserError("cannot write " + records + ": " + e.getMessage());
            }
            List<String> args = new ArrayList<>(List.of("batch", "run", records.toString(), "--out", out.toString(), "--task", task));
            if (route != null) {
                args.addAll(List.of("--route", route));
            }
            if (url != null) {
                args.addAll(List.of("--url", url));
            } else {
                args.addAll(List.of("--config", where.config.toString()));
            }
            if (resume) {
                args.add("--resume");
            }
            CommandLine batch = Main.commandLine();
            batch.setOut(spec.commandLine().getOut());
            batch.setErr(spec.commandLine().getErr());
            int status = batch.execute(args.toArray(String[]::new));
            ObjectNode summary = Json.object().put("documents", documents).put("converted", 0).put("served_from_store", documents)
                    .put("chunks", chunks).put("text_pages", textPages).put("visual_pages", images + skipped)
                    .put("visual_pages_as_images", images).put("visual_pages_skipped", skipped).put("output", out.toString())
                    .put("status", status);
            if (status == 0) {
                report(summary, textPages + images + skipped);
            }
            spec.commandLine().getOut().println(Json.string(summary));
            return status;
        }

        /**
         * What the text route cost against sending every page to a multimodal model as an image: this
         * run's cost and energy (its report), and the same pages priced at the portfolio's vision model
         * (its price and energy per token), with the run's mean answer length. Written to
         * OUTPUT.docs-report.json too.
         */
        private void report(ObjectNode summary, long pages) {
            JsonNode run;
            try {
                run = Json.mapper().readTree(Files.readString(out.resolveSibling(out.getFileName() + ".report.json")));
            } catch (IOException e) {
                return;
            }
            ObjectNode textRoute = summary.putObject("this_run").put("cost_usd", run.path("cost_usd").asDouble())
                    .put("energy_wh", run.path("energy_wh").asDouble());
            Optional<io.micromesh.core.config.ModelSpec> vision = url == null && Files.exists(where.config)
                    ? LocalPortfolio.load(where.config).models().stream()
                    .filter(m -> m.capabilities().contains(io.micromesh.core.config.Capability.VISION)).findFirst()
                    : Optional.empty();
            ObjectNode all = summary.putObject("all_pages_to_vision");
            if (vision.isEmpty()) {
                all.put("note", url == null ? "the portfolio has no model with vision" : "priced only with --config");
                return;
            }
            long items = Math.max(1, run.path("items").asLong());
            double outPerPage = run.path("completion_tokens").asDouble() / items;
            double tokensIn = (double) pages * imageTokens;
            double tokensOut = pages * outPerPage;
            io.micromesh.core.config.Price price = vision.get().price();
            double usd = tokensIn * orZero(price == null ? null : price.inputPerMtok()) / 1e6
                    + tokensOut * orZero(price == null ? null : price.outputPerMtok()) / 1e6;
            all.put("model", vision.get().id()).put("pages", pages).put("image_tokens_per_page", imageTokens)
                    .put("cost_usd", usd);
            vision.get().energyProfile().ifPresentOrElse(e -> all.put("energy_wh",
                    (tokensIn * orZero(e.inputJPerToken()) + tokensOut * orZero(e.outputJPerToken())) / 3600.0),
                    () -> all.putNull("energy_wh").put("note", "the vision model has no energy profile"));
            textRoute.put("share_of_all_pages_cost", usd > 0 ? run.path("cost_usd").asDouble() / usd : 0);
            try {
                Files.writeString(out.resolveSibling(out.getFileName() + ".docs-report.json"), Json.string(summary) + "\n");
            } catch (IOException e) {
                throw new UserError("cannot write the report: " + e.getMessage());
            }
        }

        private static double orZero(Double value) {
            return value == null ? 0 : value;
        }

        /** Whether a model of the portfolio (of --config, or of the --url gateway) sees images. */
        private boolean visionServed() {
            if (url == null) {
                return Files.exists(where.config) && LocalPortfolio.load(where.config).models().stream()
                        .anyMatch(m -> m.capabilities().contains(io.micromesh.core.config.Capability.VISION));
            }
            try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
                String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
                var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/models")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                return answer.statusCode() == 200 && answer.body().contains("\"vision\"");
            } catch (IOException | RuntimeException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
