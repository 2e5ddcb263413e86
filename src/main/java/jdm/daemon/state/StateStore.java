package jdm.daemon.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import jdm.dm.DeviceNamespace;

/**
 * The daemon's state directory ({@code jdm daemon --state DIR}): {@value #FILE} holds the devices (see
 * {@link StateFormat}), rewritten on every change of the namespace so that the devices come back after a restart
 * or a crash.
 *
 * <p>Each save writes {@value #TEMP}, fsyncs it, renames it over {@value #FILE} and fsyncs the directory, so the
 * file is always either the old or the new state whole; a temp file left by a crash mid-write is ignored. Saves run
 * on the thread that made the change, from the namespace's change listener (outside the namespace's lock, never on
 * an I/O path), so a control operation's reply goes out only once its result is on disk. The namespace is read
 * without holding the store's lock (so a control thread holding the namespace's lock can never wait on a save that
 * waits on that lock); the store's lock only orders the writes: a copy read earlier than the one on disk is
 * dropped (the later one covers its change), and a copy equal to the file is not written again. A lock on
 * {@value #LOCK} keeps two daemons from sharing a directory.
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE = "devices.state";
    static final String TEMP = FILE + ".tmp";
    static final String LOCK = "lock";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path dir;
    private final FileChannel lockChannel;
    private final Consumer<String> log;
    private final Object saveLock = new Object();
    private final AtomicLong reads = new AtomicLong();
    private long savedRead; // guarded by saveLock: the number of the read the file holds
    private String savedText; // guarded by saveLock: what the file holds
    private volatile DeviceNamespace tracked;
    private volatile boolean closed;

    private StateStore(Path dir, FileChannel lockChannel, Consumer<String> log) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.log = log;
    }

    /** Opens (creating it if needed) and locks the state directory; log receives the messages for the operator. */
    public static StateStore open(Path stateDir, Consumer<String> log) throws IOException {
        Path dir = stateDir.toAbsolutePath();
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("state directory " + dir + " is in use by another jdm daemon");
        }
        return new StateStore(dir, ch, log);
    }

    public Path file() {
        return dir.resolve(FILE);
    }

    /**
     * Recreates the saved devices in ns, reports on the log what came back and what did not (naming each device
     * left out and why), then saves ns and keeps saving it on every change. When something was left out, the file
     * as it was is first copied aside (its name is logged), so nothing saved is lost.
     */
    public StateRestore.Outcome restoreAndTrack(DeviceNamespace ns) throws IOException {
        StateRestore.Outcome outcome = new StateRestore.Outcome(List.of(), List.of(), List.of());
        Path file = file();
        if (Files.deleteIfExists(dir.resolve(TEMP))) {
            log.accept("ignored " + dir.resolve(TEMP) + ", left by a save that did not finish");
        }
        if (Files.exists(file)) {
            boolean lost;
            try {
                StateFormat.Parsed parsed = StateFormat.parse(read(file));
                parsed.problems().forEach(p -> log.accept(file + ": " + p + "; not restored"));
                outcome = StateRestore.restore(ns, parsed.state(), log);
                lost = !parsed.problems().isEmpty() || !outcome.failed().isEmpty()
                        || !outcome.inactiveDropped().isEmpty();
                log.accept("restored " + outcome.restored().size() + " of " + (outcome.restored().size()
                        + outcome.failed().size()) + " devices from " + file + (outcome.failed().isEmpty() ? ""
                        : " (not restored: " + String.join(", ", outcome.failed()) + ")"));
            } catch (StateFormat.Unreadable e) {
                log.accept(file + " is unreadable: " + e.getMessage() + "; no devices restored");
                lost = true;
            }
            if (lost) {
                Path kept = dir.resolve(FILE + ".unrestored-" + STAMP.format(Instant.now()));
                Files.copy(file, kept, StandardCopyOption.REPLACE_EXISTING);
                log.accept("the state file as it was is kept in " + kept);
            }
        }
        tracked = ns;
        save();
        ns.addChangeListener(this::changed);
        return outcome;
    }

    private static String read(Path file) throws IOException, StateFormat.Unreadable {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new StateFormat.Unreadable("not UTF-8 text");
        }
    }

    /** The change listener: saves now, on the thread that made the change. */
    private void changed() {
        try {
            save();
        } catch (IOException e) {
            log.accept("could not save " + file() + ": " + e.getMessage()
                    + "; the change is live but would not survive a restart");
        }
    }

    /**
     * Saves the namespace as it is now: on return the file holds this read of it or a later one, which covers every
     * change that ended before this call.
     */
    public void save() throws IOException {
        DeviceNamespace ns = tracked;
        if (ns == null || closed) {
            return;
        }
        long read = reads.incrementAndGet();
        String text = StateFormat.write(NamespaceState.capture(ns));
        synchronized (saveLock) {
            if (closed || read <= savedRead) {
                return; // a read begun after this one is on disk already
            }
            if (!text.equals(savedText)) {
                writeAtomically(text);
                savedText = text;
            }
            savedRead = read;
        }
    }

    private void writeAtomically(String text) throws IOException {
        Path tmp = dir.resolve(TEMP);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // makes the rename itself durable
        }
    }

    /**
     * Stops saving (waiting for a save in progress) and unlocks the directory. The daemon closes the store before
     * it removes its devices at shutdown, so a clean stop leaves the file as it was.
     */
    @Override
    public void close() {
        synchronized (saveLock) {
            closed = true;
        }
        try {
            lockChannel.close();
        } catch (IOException e) {
            log.accept("unlocking " + dir + ": " + e.getMessage());
        }
    }
}
