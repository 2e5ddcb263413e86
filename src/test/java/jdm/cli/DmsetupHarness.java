package jdm.cli;

import jdm.block.dev.BackingFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.control.ControlServer;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.targets.BuiltinTargets;
import picocli.CommandLine;

/**
 * A real device namespace behind an in-process control server on a socket in a temporary directory, and "dmsetup"
 * run through picocli against it with captured output, the temporary directory as its current directory.
 */
final class DmsetupHarness implements AutoCloseable {
    /** What one dmsetup run printed and returned. */
    record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final Path dir;
    final Path socket;
    final DeviceNamespace ns;
    final ControlServer server;
    Map<String, String> env = Map.of();

    DmsetupHarness(Path dir) throws IOException {
        this.dir = dir;
        this.socket = dir.resolve("control.sock");
        this.ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        this.server = ControlServer.start(ns, socket);
    }

    /** A backing file of the given size in the directory. */
    Path file(String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }

    /** Runs "dmsetup --control SOCKET args..." with empty stdin. */
    Run dmsetup(String... args) {
        return dmsetupWithStdin("", args);
    }

    Run dmsetupWithStdin(String stdin, String... args) {
        List<String> argv = new ArrayList<>(List.of("--control", socket.toString()));
        argv.addAll(List.of(args));
        return bare(stdin, argv.toArray(String[]::new));
    }

    /** Runs dmsetup with exactly these arguments (no --control added). */
    Run bare(String stdin, String... args) {
        DmsetupCommand cmd = new DmsetupCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                env::get, dir);
        CommandLine cl = new CommandLine(cmd).setAllowOptionsAsOptionParameters(true) // as jdm.Main
                .setParameterExceptionHandler(DmsetupCommand::onBadCommandLine);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    /** The daemon's kernel-log lines since the last call, without their timestamps (what "jdm dmesg -c" prints). */
    List<String> dmesg() {
        return server.kernelLog().read(true).stream().map(l -> l.substring(l.indexOf("] ") + 2)).toList();
    }

    /** Reads sectors through a mapped device, as an NBD client would. */
    byte[] read(String device, long sector, int sectors) throws Exception {
        MappedDevice md = ns.get(device);
        byte[] data = new byte[sectors * 512];
        BlkStatus s = new Bio(Op.READ, 0, md, sector, sectors, ByteBuffer.wrap(data), null).submitAndWait();
        if (s != BlkStatus.OK) {
            throw new AssertionError("read of " + device + " " + sector + "+" + sectors + ": " + s);
        }
        return data;
    }

    static BlkStatus write(BlockDevice dev, long sector, byte[] data) {
        return new Bio(Op.WRITE, 0, dev, sector, data.length / 512, ByteBuffer.wrap(data), null).submitAndWait();
    }

    /** Fills a backing file's sector with a byte. */
    void fill(Path file, long sector, int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(sector * 512);
            byte[] b = new byte[512];
            java.util.Arrays.fill(b, (byte) value);
            f.write(b);
        }
    }

    /** Stops the server and removes every device top-down, closing the backing files. */
    @Override
    public void close() throws Exception {
        server.close();
        for (int round = 0; round < 10 && !ns.list().isEmpty(); round++) {
            for (MappedDevice md : ns.list()) {
                try {
                    ns.remove(md.name());
                } catch (Exception e) {
                    // still used by a device removed in a later round
                }
            }
        }
    }
}
