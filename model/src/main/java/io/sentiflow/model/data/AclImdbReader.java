package io.sentiflow.model.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads Stanford's official IMDB layout, {@code aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt}
 * (one review per file, UTF-8), from the folder or straight from {@code aclImdb_v1.tar.gz}. Reviews
 * come out negative first, each class by id, as in the official order; {@code unsup} is skipped.
 */
public final class AclImdbReader {
    private static final Pattern REVIEW =
            Pattern.compile("(?:^|.*/)(train|test)/(pos|neg)/(\\d+)_(\\d+)\\.txt$");

    private AclImdbReader() {}

    private record Entry(boolean positive, int id, String text) {}

    public static List<LabeledText> read(Path path, String split) throws IOException {
        if (!split.equals("train") && !split.equals("test")) {
            throw new IllegalArgumentException("split must be train or test, got '" + split + "'");
        }
        List<Entry> entries =
                Files.isDirectory(path) ? fromFolder(path, split) : fromArchive(path, split);
        if (entries.isEmpty()) {
            throw new IOException(
                    path
                            + ": no "
                            + split
                            + "/pos or "
                            + split
                            + "/neg reviews (<id>_<rating>.txt) found");
        }
        entries.sort(Comparator.comparing(Entry::positive).thenComparingInt(Entry::id));
        return entries.stream().map(e -> new LabeledText(e.text(), e.positive())).toList();
    }

    private static List<Entry> fromFolder(Path root, String split) throws IOException {
        Path base = Files.isDirectory(root.resolve("aclImdb")) ? root.resolve("aclImdb") : root;
        List<Entry> entries = new ArrayList<>();
        for (String label : List.of("pos", "neg")) {
            Path folder = base.resolve(split).resolve(label);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> files = Files.list(folder)) {
                for (Path file : files.sorted().toList()) {
                    Matcher m = REVIEW.matcher(split + "/" + label + "/" + file.getFileName());
                    if (!m.matches()) {
                        continue; // e.g. urls_pos.txt lives beside, not inside, these folders
                    }
                    entries.add(entry(m, Files.readAllBytes(file), file.toString()));
                }
            }
        }
        return entries;
    }

    private static List<Entry> fromArchive(Path archive, String split) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(raw))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (!entry.isFile()) {
                    continue;
                }
                Matcher m = REVIEW.matcher(entry.getName());
                if (m.matches() && m.group(1).equals(split)) {
                    entries.add(entry(m, tar.readAllBytes(), archive + "!" + entry.getName()));
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IOException(
                    archive + ": not a gzip'd tar archive (" + e.getMessage() + ")", e);
        }
        return entries;
    }

    private static Entry entry(Matcher m, byte[] bytes, String where) throws IOException {
        try {
            String text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
            return new Entry(m.group(2).equals("pos"), Integer.parseInt(m.group(3)), text);
        } catch (CharacterCodingException e) {
            throw new IOException(where + ": line 1: not valid UTF-8", e);
        }
    }
}
