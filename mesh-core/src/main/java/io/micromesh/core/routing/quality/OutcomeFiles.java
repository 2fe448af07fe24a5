package io.micromesh.core.routing.quality;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads labelled outcomes in RouteLLM's layout: CSV files with a {@code prompt} column and one
 * column per model holding {@code True} or {@code False} (other columns are ignored). A path is a
 * CSV file or a folder of them (read in name order). Parsed by Jackson's CSV module, since prompts
 * hold quoted newlines and commas.
 */
public final class OutcomeFiles {

    private static final CsvMapper CSV = CsvMapper.builder().enable(CsvParser.Feature.TRIM_SPACES).build();

    private OutcomeFiles() {
    }

    /**
     * The prompts of the files under {@code paths} with the outcomes of {@code weak} and {@code strong}.
     *
     * @throws IllegalArgumentException naming the file (and line) of a missing column or a value that is not True/False
     */
    public static List<LabelledPrompt> read(List<Path> paths, String weak, String strong) {
        List<LabelledPrompt> prompts = new ArrayList<>();
        for (Path file : files(paths)) {
            readFile(file, weak, strong, prompts);
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts in " + paths);
        }
        return prompts;
    }

    /**
     * The outcomes of whichever of {@code models} have a column in each file under {@code paths},
     * one per prompt and model (1 for True, 0 for False); empty cells are skipped.
     *
     * @throws IllegalArgumentException naming the file of a missing prompt column, a file with none
     *                                  of the models' columns, or a value that is not True/False
     */
    public static List<Scored> readScores(List<Path> paths, List<String> models) {
        List<Scored> scores = new ArrayList<>();
        for (Path file : files(paths)) {
            try (Reader reader = Files.newBufferedReader(file);
                 MappingIterator<Map<String, String>> rows = CSV.readerForMapOf(String.class)
                         .with(CsvSchema.emptySchema().withHeader()).readValues(reader)) {
                boolean any = false;
                while (rows.hasNext()) {
                    Map<String, String> row = rows.next();
                    long line = rows.getCurrentLocation() == null ? -1 : rows.getCurrentLocation().getLineNr();
                    String prompt = column(row, "prompt", file, line);
                    for (String model : models) {
                        String value = row.get(model);
                        if (value != null && !value.isBlank()) {
                            scores.add(new Scored(prompt, model, verdict(value, model, file, line) ? 1 : 0));
                            any = true;
                        }
                    }
                    if (!any) {
                        throw new IllegalArgumentException(file + ": no column of the models " + models + "; columns: "
                                + row.keySet());
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof IllegalArgumentException known) {
                    throw known;
                }
                throw new IllegalArgumentException(file + ": not a readable CSV file: " + e.getMessage());
            }
        }
        return scores;
    }

    /**
     * One model's outcome on one prompt.
     *
     * @param prompt the prompt
     * @param model  the model (its column)
     * @param score  1 answered well, 0 not
     */
    public record Scored(String prompt, String model, double score) {
    }

    private static List<Path> files(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> listed = Files.list(path)) {
                    listed.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().forEach(files::add);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot list " + path + ": " + e.getMessage());
                }
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new IllegalArgumentException(path + ": no such file or folder");
            }
        }
        return files;
    }

    private static void readFile(Path file, String weak, String strong, List<LabelledPrompt> into) {
        String source = file.getFileName().toString().replaceFirst("\\.csv$", "");
        try (Reader reader = Files.newBufferedReader(file);
             MappingIterator<Map<String, String>> rows = CSV.readerForMapOf(String.class)
                     .with(CsvSchema.emptySchema().withHeader()).readValues(reader)) {
            while (rows.hasNext()) {
                Map<String, String> row = rows.next();
                long line = rows.getCurrentLocation() == null ? -1 : rows.getCurrentLocation().getLineNr();
                into.add(new LabelledPrompt(column(row, "prompt", file, line), source,
                        verdict(column(row, weak, file, line), weak, file, line),
                        verdict(column(row, strong, file, line), strong, file, line)));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException known) {
                throw known;
            }
            throw new IllegalArgumentException(file + ": not a readable CSV file: " + e.getMessage());
        }
    }

    private static String column(Map<String, String> row, String name, Path file, long line) {
        String value = row.get(name);
        if (value == null) {
            throw new IllegalArgumentException(file + (line > 0 ? ":" + line : "") + ": no column '" + name
                    + "'; columns: " + row.keySet());
        }
        return value;
    }

    private static boolean verdict(String value, String model, Path file, long line) {
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new IllegalArgumentException(file + (line > 0 ? ":" + line : "") + ": column '" + model
                    + "' holds '" + value + "', not True or False");
        };
    }
}
