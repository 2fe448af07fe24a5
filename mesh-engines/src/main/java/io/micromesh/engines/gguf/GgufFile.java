package io.micromesh.engines.gguf;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The header of a GGUF file, read and checked in Java before any native code sees the file: magic,
 * version, metadata and tensor table, and that the tensor data fits in the file. A file that fails
 * is refused with a {@link GgufException} naming the problem, instead of crashing a native loader.
 *
 * @param version    format version (2 or 3)
 * @param metadata   key-value metadata in file order: Long, Double, Boolean, String or List values
 * @param tensors    the tensor table
 * @param dataOffset where tensor data starts
 * @param fileSize   the file's length in bytes
 */
public record GgufFile(int version, Map<String, Object> metadata, List<Tensor> tensors, long dataOffset,
                       long fileSize) {

    private static final long MAX_COUNT = 1_000_000;
    private static final long MAX_STRING = 64L * 1024 * 1024;

    /**
     * One tensor entry.
     *
     * @param name   e.g. {@code blk.0.attn_q.weight}
     * @param dims   dimensions, innermost first (ggml's {@code ne})
     * @param typeId the ggml type id
     * @param offset offset of its data from {@code dataOffset}
     */
    public record Tensor(String name, long[] dims, int typeId, long offset) {

        /** Number of values. */
        public long values() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    /** A metadata value as a string, when present and a string. */
    public Optional<String> string(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** A metadata value as a whole number, when present and one. */
    public Optional<Long> integer(String key) {
        return metadata.get(key) instanceof Long n ? Optional.of(n) : Optional.empty();
    }

    /**
     * Reads and checks the header of a GGUF file.
     *
     * @throws GgufException when the file is missing, unreadable, or not a well-formed GGUF
     */
    public static GgufFile read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new GgufException(file + ": no such file");
        } catch (IOException e) {
            throw new GgufException(file + ": cannot be read: " + e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            Reader r = new Reader(new DataInputStream(new BufferedInputStream(in, 1 << 16)));
            byte[] magic = r.bytes(4);
            if (readIntLe(magic) != GgufFormat.MAGIC) {
                throw new GgufException(file + " is not a GGUF model: it starts with bytes "
                        + HexFormat.ofDelimiter(" ").formatHex(magic) + " ('" + printable(magic) + "'), not 'GGUF'");
            }
            int version = r.int32();
            if (version != 2 && version != 3) {
                throw new GgufException(file + ": GGUF version " + version + " is not supported (2 and 3 are)");
            }
            long tensorCount = r.count("tensor count");
            long kvCount = r.count("metadata count");
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = r.string();
                metadata.put(key, r.value(r.int32()));
            }
            List<Tensor> tensors = new ArrayList<>();
            for (long i = 0; i < tensorCount; i++) {
                String name = r.string();
                int nDims = r.int32();
                if (nDims < 1 || nDims > 4) {
                    throw new GgufException(file + ": tensor '" + name + "' has " + nDims + " dimensions (1 to 4 allowed)");
                }
                long[] dims = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    dims[d] = r.int64();
                }
                tensors.add(new Tensor(name, dims, r.int32(), r.int64()));
            }
            long alignment = metadata.get("general.alignment") instanceof Long a && a > 0 ? a : GgufFormat.DEFAULT_ALIGNMENT;
            long dataOffset = (r.position + alignment - 1) / alignment * alignment;
            GgufFile gguf = new GgufFile(version, metadata, List.copyOf(tensors), dataOffset, size);
            gguf.checkDataFits(file);
            return gguf;
        } catch (EOFException e) {
            throw new GgufException(file + " is truncated: it ends inside its header (" + size + " bytes)", e);
        } catch (IOException e) {
            throw new GgufException(file + ": cannot be read: " + e.getMessage(), e);
        } catch (GgufException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new GgufException(file + ": " + e.getMessage(), e);
        }
    }

    private void checkDataFits(Path file) {
        for (Tensor t : tensors) {
            Optional<GgmlType> type = GgmlType.ofId(t.typeId());
            if (type.isEmpty() || t.dims()[0] % type.get().blockValues() != 0) {
                continue;  // a type this reader does not size; llama.cpp checks it
            }
            long end = dataOffset + t.offset() + type.get().bytes(t.values());
            if (end > fileSize) {
                throw new GgufException(file + " is truncated: tensor '" + t.name() + "' ends at byte " + end
                        + " but the file has " + fileSize);
            }
        }
    }

    private static String printable(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(b >= 32 && b < 127 ? (char) b : '.');
        }
        return out.toString();
    }

    private static int readIntLe(byte[] b) {
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    /** Little-endian reads with a byte position and sanity bounds. */
    private static final class Reader {
        private final DataInputStream in;
        private long position;

        Reader(DataInputStream in) {
            this.in = in;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            in.readFully(b);
            position += n;
            return b;
        }

        short int16() throws IOException {
            position += 2;
            return Short.reverseBytes(in.readShort());
        }

        int int32() throws IOException {
            position += 4;
            return Integer.reverseBytes(in.readInt());
        }

        long int64() throws IOException {
            position += 8;
            return Long.reverseBytes(in.readLong());
        }

        long count(String what) throws IOException {
            long n = int64();
            if (n < 0 || n > MAX_COUNT) {
                throw new GgufException("its " + what + " is " + n + ", which no model has: the header is corrupt");
            }
            return n;
        }

        String string() throws IOException {
            long n = int64();
            if (n < 0 || n > MAX_STRING) {
                throw new GgufException("a string of " + n + " bytes: the header is corrupt");
            }
            return new String(bytes((int) n), StandardCharsets.UTF_8);
        }

        Object value(int type) throws IOException {
            return switch (type) {
                case GgufFormat.UINT8 -> (long) (bytes(1)[0] & 0xff);
                case GgufFormat.INT8 -> (long) bytes(1)[0];
                case GgufFormat.UINT16 -> (long) (int16() & 0xffff);
                case GgufFormat.INT16 -> (long) int16();
                case GgufFormat.UINT32 -> (long) int32() & 0xffffffffL;
                case GgufFormat.INT32 -> (long) int32();
                case GgufFormat.FLOAT32 -> (double) Float.intBitsToFloat(int32());
                case GgufFormat.BOOL -> bytes(1)[0] != 0;
                case GgufFormat.STRING -> string();
                case GgufFormat.UINT64, GgufFormat.INT64 -> int64();
                case GgufFormat.FLOAT64 -> Double.longBitsToDouble(int64());
                case GgufFormat.ARRAY -> array();
                default -> throw new GgufException("a metadata value of unknown type " + type + ": the header is corrupt");
            };
        }

        private List<Object> array() throws IOException {
            int type = int32();
            long n = count("array length");
            List<Object> values = new ArrayList<>((int) Math.min(n, 65_536));
            for (long i = 0; i < n; i++) {
                values.add(value(type));
            }
            return values;
        }
    }
}
