package io.micromesh.jobs.docs;

import io.micromesh.engines.docs.ConvertedDocument;
import io.micromesh.engines.docs.DocumentException;
import io.micromesh.engines.docs.PdfConverter;
import io.micromesh.store.DocumentIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Documents converted once, processed many times: each file is converted to Markdown the first time
 * its content is seen by a converter (content-addressed: SHA-256 of the bytes, the converter and its
 * version), its pages written as files under {@code folder/ID/} and indexed in the gateway's store;
 * seen again, it is reused. Thread-safe for distinct files.
 */
public final class DocumentStore {

    /** How an ingest of one file ended. */
    public sealed interface Ingested {
        /** The file's path as given. */
        String path();

        /** Converted now. */
        record Converted(String path, DocumentIndex.Document document) implements Ingested {
        }

        /** Converted before: served from the store. */
        record Reused(String path, DocumentIndex.Document document) implements Ingested {
        }

        /** Not converted; the reason says why (encrypted, empty, unsupported, too large). */
        record Failed(String path, String reason) implements Ingested {
        }
    }

    /**
     * Limits of an ingest.
     *
     * @param maxBytes the largest file taken
     * @param maxPages the most pages a document may have
     */
    public record Limits(long maxBytes, int maxPages) {
    }

    /** A Docling Serve instance that converts every file instead of the in-process converters, or null. */
    private io.micromesh.engines.docs.DoclingConverter docling;

    /** Converts with Docling Serve instead of the in-process converters (its documents are addressed apart). */
    public DocumentStore withDocling(io.micromesh.engines.docs.DoclingConverter converter) {
        this.docling = converter;
        return this;
    }

    private final Path folder;
    private final DocumentIndex index;
    private final Limits limits;

    public DocumentStore(Path folder, DocumentIndex index, Limits limits) {
        this.folder = folder;
        this.index = index;
        this.limits = limits;
    }

    /** Converts a file unless its content was converted before; a file that cannot be converted is a failure, not an exception. */
    public Ingested ingest(Path file) {
        String path = file.toString();
        String type = type(file);
        if (type == null) {
            return new Ingested.Failed(path, "unsupported: " + extension(file) + " (PDF, DOCX, HTML, plain text and Markdown are read)");
        }
        String contentSha;
        try {
            long size = Files.size(file);
            if (size == 0) {
                return new Ingested.Failed(path, "empty: the file has no bytes");
            }
            if (size > limits.maxBytes()) {
                return new Ingested.Failed(path, "too large: " + size + " bytes, more than the limit of " + limits.maxBytes());
            }
            contentSha = sha256(file);
        } catch (IOException e) {
            return new Ingested.Failed(path, "unreadable: " + e.getMessage());
        }
        String converter = docling != null ? io.micromesh.engines.docs.DoclingConverter.version() : switch (type) {
            case "pdf" -> PdfConverter.NAME + " " + PdfConverter.version();
            case "html" -> io.micromesh.engines.docs.HtmlConverter.version();
            case "docx" -> io.micromesh.engines.docs.DocxConverter.version();
            default -> "text 1";
        };
        String id = hex(digest((contentSha + "\n" + converter).getBytes(StandardCharsets.UTF_8)));
        Optional<DocumentIndex.Document> known = index.get(id);
        if (known.isPresent()) {
            return new Ingested.Reused(path, known.get());
        }
        ConvertedDocument converted;
        try {
            converted = docling != null ? docling.convert(file) : switch (type) {
                case "pdf" -> new PdfConverter(limits.maxPages()).convert(file);
                case "html" -> new io.micromesh.engines.docs.HtmlConverter().convert(file);
                case "docx" -> new io.micromesh.engines.docs.DocxConverter().convert(file);
                default -> text(file);
            };
        } catch (DocumentException e) {
            return new Ingested.Failed(path, e.getMessage());
        } catch (RuntimeException e) {
            return new Ingested.Failed(path, "cannot be converted: " + e);
        }
        write(id, converted);
        DocumentIndex.Document document = new DocumentIndex.Document(id, path, contentSha, converter, converted.pages().size(),
                converted.visualPages(), java.time.Instant.EPOCH);
        List<DocumentIndex.Page> pages = new ArrayList<>();
        converted.pages().forEach(p -> pages.add(new DocumentIndex.Page(p.number(), p.kind().name().toLowerCase(Locale.ROOT),
                p.reason())));
        index.put(document, pages);
        return new Ingested.Converted(path, index.get(id).orElse(document));
    }

    /** A document's Markdown, or one page's. */
    public Optional<String> markdown(String id, Integer page) {
        Path file = page == null ? folder.resolve(id).resolve("document.md") : folder.resolve(id).resolve("page-" + page + ".md");
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A visual page's image (PNG), when the converter rendered one. */
    public Optional<byte[]> image(String id, int page) {
        Path file = folder.resolve(id).resolve("page-" + page + ".png");
        try {
            return Files.exists(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The index this store keeps. */
    public DocumentIndex index() {
        return index;
    }

    /** Writes the pages and the whole document, then moves the folder into place: a reader never sees half of one. */
    private void write(String id, ConvertedDocument converted) {
        Path partial = folder.resolve(id + ".part");
        try {
            Files.createDirectories(partial);
            for (ConvertedDocument.Page page : converted.pages()) {
                Files.writeString(partial.resolve("page-" + page.number() + ".md"), page.markdown());
                if (page.image() != null) {
                    Files.write(partial.resolve("page-" + page.number() + ".png"), page.image());
                }
            }
            Files.writeString(partial.resolve("document.md"), converted.markdown());
            Path target = folder.resolve(id);
            if (Files.exists(target)) {  // a conversion killed after the move, before the index: its files are the same
                try (var old = Files.walk(target)) {
                    old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the document store " + folder + ": " + e.getMessage(), e);
        }
    }

    private static ConvertedDocument text(Path file) {
        try {
            String text = Files.readString(file);
            return new ConvertedDocument(List.of(new ConvertedDocument.Page(1, text, ConvertedDocument.Kind.TEXT,
                    text.length() + " characters of text")));
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DocumentException("not UTF-8 text");
        } catch (IOException e) {
            throw new DocumentException("unreadable: " + e.getMessage());
        }
    }

    /** The converter a file needs by its extension: pdf, text, or null when none reads it. */
    private static String type(Path file) {
        return switch (extension(file)) {
            case ".pdf" -> "pdf";
            case ".txt", ".md", ".markdown" -> "text";
            case ".html", ".htm" -> "html";
            case ".docx" -> "docx";
            default -> null;
        };
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "(no extension)" : name.substring(dot);
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = sha();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return hex(digest.digest());
    }

    private static byte[] digest(byte[] bytes) {
        return sha().digest(bytes);
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
