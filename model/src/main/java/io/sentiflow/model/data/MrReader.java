package io.sentiflow.model.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Pang &amp; Lee's sentence polarity data: {@code rt-polarity.pos} and {@code
 * rt-polarity.neg}, one snippet per line, the label in the file name. The original files are
 * Windows-1252 (not Latin-1: bytes 0x80–0x9F are punctuation there, not control characters); UTF-8
 * copies are recognised and read as UTF-8. Lines split on LF only. Positives come first.
 */
public final class MrReader {
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private MrReader() {}

    /** {@code path}: the folder holding both files, or either one of them. */
    public static List<LabeledText> read(Path path) throws IOException {
        Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        List<LabeledText> rows = new ArrayList<>();
        rows.addAll(readFile(folder.resolve("rt-polarity.pos"), true));
        rows.addAll(readFile(folder.resolve("rt-polarity.neg"), false));
        return rows;
    }

    static List<LabeledText> readFile(Path file, boolean positive) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file);
        }
        String text = decode(Files.readAllBytes(file), file);
        List<LabeledText> rows = new ArrayList<>();
        int line = 0;
        for (String snippet : text.split("\n", -1)) {
            line++;
            if (snippet.isBlank()) {
                continue;
            }
            if (snippet.indexOf('\u0000') >= 0) {
                throw new IOException(file + ": line " + line + ": NUL byte; not a text file");
            }
            rows.add(new LabeledText(snippet.strip(), positive));
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no snippets");
        }
        return rows;
    }

    private static String decode(byte[] bytes, Path file) throws IOException {
        try {
            return strict(StandardCharsets.UTF_8, bytes);
        } catch (CharacterCodingException notUtf8) {
            try {
                return strict(WINDOWS_1252, bytes);
            } catch (CharacterCodingException e) {
                throw new IOException(
                        file
                                + ": line "
                                + lineOfFirstBadByte(bytes)
                                + ": neither UTF-8 nor Windows-1252",
                        e);
            }
        }
    }

    private static String strict(Charset charset, byte[] bytes) throws CharacterCodingException {
        return charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }

    private static int lineOfFirstBadByte(byte[] bytes) {
        int line = 1;
        for (byte b : bytes) {
            int v = b & 0xff;
            if (v == 0x81 || v == 0x8d || v == 0x8f || v == 0x90 || v == 0x9d) {
                return line;
            }
            if (v == '\n') {
                line++;
            }
        }
        return line;
    }
}
