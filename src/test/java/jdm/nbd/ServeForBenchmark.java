package jdm.nbd;

import java.nio.file.Path;
import jdm.block.BlockDevice;
import jdm.block.dev.FileDevice;
import jdm.block.dev.MemoryDevice;

/**
 * Not a test: serves a file (or, with "mem:SIZE_MIB", a memory device) on a Unix socket until killed, for measuring
 * the server against nbdkit with fio and nbdcopy. Usage: ServeForBenchmark FILE|mem:MIB SOCKET [NAME]
 */
public final class ServeForBenchmark {
    public static void main(String[] args) throws Exception {
        BlockDevice dev = args[0].startsWith("mem:")
                ? new MemoryDevice("mem", Long.parseLong(args[0].substring(4)) << 11)
                : FileDevice.open(Path.of(args[0]), false);
        String name = args.length > 2 ? args[2] : "";
        String submit = System.getProperty("submit", "virtual");
        java.util.concurrent.Executor ex = switch (submit) {
            case "virtual" -> null;
            case "inline" -> Runnable::run;
            default -> java.util.concurrent.Executors.newFixedThreadPool(Integer.parseInt(submit.substring(5)));
        };
        NbdServer server = (ex == null ? new NbdServer(MapExports.of(name, dev)) : new NbdServer(MapExports.of(name, dev), ex))
                .listenUnix(Path.of(args[1])).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("serving " + dev.name() + " on " + server.addresses());
        Thread.currentThread().join();
    }
}
