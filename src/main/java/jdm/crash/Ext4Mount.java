package jdm.crash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An NBD export mounted as ext4: nbdfuse exposes the export as a file, losetup makes that a block device, mount
 * mounts it. {@link #close} undoes whatever was done, in reverse order, even after a failure half-way; a shutdown
 * hook does the same if the JVM is stopped (Ctrl-C) while attached.
 */
final class Ext4Mount implements AutoCloseable {
    private final Path fuseDir;
    private final Path mountPoint;
    private Process nbdfuse;
    private String loop;
    private boolean mounted;
    private String refused;
    private final Thread onShutdown = new Thread(this::closeQuietly, "crashtest-unmount");

    private Ext4Mount(Path fuseDir, Path mountPoint) {
        this.fuseDir = fuseDir;
        this.mountPoint = mountPoint;
    }

    static Ext4Mount attach(Path dir, Path nbdSocket, String export) throws IOException, InterruptedException {
        Ext4Mount m = new Ext4Mount(Files.createDirectories(dir.resolve("fuse")),
                Files.createDirectories(dir.resolve("mnt")));
        Runtime.getRuntime().addShutdownHook(m.onShutdown);
        try {
            m.nbdfuse = new ProcessBuilder(Sys.which("nbdfuse").toString(), m.fuseDir.resolve("disk").toString(),
                    "nbd+unix:///" + export + "?socket=" + nbdSocket).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nbdfuse.log").toFile()).start();
            Path disk = m.fuseDir.resolve("disk");
            for (int i = 0; i < 500 && !Files.exists(disk); i++) {
                if (!m.nbdfuse.isAlive()) {
                    m.refused = "nbdfuse exited: " + Files.readString(dir.resolve("nbdfuse.log")).strip();
                    return m;
                }
                Thread.sleep(20);
            }
            Sys.Result lo = Sys.exec(30, "losetup", "-f", "--show", disk.toString());
            if (lo.status() != 0) {
                m.refused = "losetup: " + lo.output().strip();
                return m;
            }
            m.loop = lo.output().strip();
            Sys.Result mount = Sys.exec(60, "mount", "-t", "ext4", m.loop, m.mountPoint.toString());
            if (mount.status() != 0) {
                m.refused = "mount: " + mount.output().strip();
                return m;
            }
            m.mounted = true;
            return m;
        } catch (IOException | InterruptedException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Why the machine refused to attach or mount, or null when mounted. */
    String refused() {
        return refused;
    }

    Path mountPoint() {
        return mountPoint;
    }

    private void closeQuietly() {
        try {
            undo();
        } catch (IOException | InterruptedException e) {
            System.err.println("jdm crashtest: cleaning up " + mountPoint + ": " + e);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException shuttingDown) {
            return; // the hook does it
        }
        undo();
    }

    private synchronized void undo() throws IOException, InterruptedException {
        try {
            if (mounted) {
                Sys.Result u = Sys.exec(60, "umount", mountPoint.toString());
                if (u.status() != 0) {
                    Sys.exec(60, "umount", "-l", mountPoint.toString());
                }
                mounted = false;
            }
            if (loop != null) {
                Sys.exec(30, "losetup", "-d", loop);
                loop = null;
            }
        } finally {
            if (nbdfuse != null) {
                if (Sys.which("fusermount3") != null) {
                    Sys.exec(30, "fusermount3", "-u", fuseDir.toString());
                } else {
                    Sys.exec(30, "umount", fuseDir.toString());
                }
                if (!nbdfuse.waitFor(20, TimeUnit.SECONDS)) {
                    nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    Sys.exec(30, "umount", "-l", fuseDir.toString());
                }
                nbdfuse = null;
            }
        }
    }
}
