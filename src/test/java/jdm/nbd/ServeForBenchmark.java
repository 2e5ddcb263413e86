package jdm.nbd;

import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import jdm.block.BlockDevice;
import jdm.block.dev.FileDevice;
import jdm.block.dev.MemoryDevice;

/**
 * Not a test: serves a file (or, with "mem:MIB", a memory device) on a Unix socket until killed, for measuring the
 * server against nbdkit with fio and nbdcopy. Usage: {@code ServeForBenchmark FILE|mem:MIB SOCKET [NAME]}; with
 * {@code -Dsubmit=inline} or {@code -Dsubmit=pool:N} bios are submitted on the reader or on N platform threads
 * instead of a virtual thread each, to compare.
 */
public final class ServeForBenchmark {
    public static void main(String[] args) throws Exception {
        BlockDevice dev = args[0].startsWith("mem:")
                ? new MemoryDevice("mem", Long.parseLong(args[0].substring(4)) << 11)
                : FileDevice.open(Path.of(args[0]), false);
        MapExports exports = MapExports.of(args.length > 2 ? args[2] : "", dev);
        String submit = System.getProperty("submit", "virtual");
        Executor executor = switch (submit) {
            case "virtual" -> null;
            case "inline" -> Runnable::run;
            default -> Executors.newFixedThreadPool(Integer.parseInt(submit.substring("pool:".length())));
        };
        NbdServer server = executor == null ? new NbdServer(exports) : new NbdServer(exports, executor);
        server.listenUnix(Path.of(args[1])).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("serving " + dev.name() + " on " + server.addresses());
        Thread.currentThread().join();
    }
}
