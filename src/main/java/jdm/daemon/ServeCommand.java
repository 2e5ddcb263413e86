package jdm.daemon;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jdm.dm.MappedDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * "jdm serve": the one-command way to serve a volume. Creates one mapped device from a table and serves it over
 * NBD in the foreground. Without --table it serves the embedded default: a 1 GiB sparse file jdm-volume.img in
 * the current directory (created if missing) through a linear table.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Create one mapped device and serve it over NBD in the foreground.",
                "Without --table: a linear volume over ./jdm-volume.img (1 GiB, sparse, created if missing)."})
public final class ServeCommand implements Callable<Integer> {
    static final String DEFAULT_IMAGE = "jdm-volume.img";
    static final long DEFAULT_SECTORS = 2097152; // 1 GiB

    @Option(names = "--table", paramLabel = "TABLE", description = "dmsetup table text (lines may be separated by"
            + " newlines); device paths are relative to the current directory.")
    String table;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", defaultValue = "vol",
            description = "Device and export name (default ${DEFAULT-VALUE}); the empty export name works too.")
    String name;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", description = "Device UUID.")
    String uuid;

    @Option(names = {"-r", "--readonly"}, description = "Serve read-only.")
    boolean readOnly;

    @Mixin
    ListenOptions listen = new ListenOptions();

    @Override
    public Integer call() throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        String text = table;
        if (text == null) {
            Path img = cwd.resolve(DEFAULT_IMAGE);
            if (!Files.exists(img)) {
                try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
                    f.setLength(DEFAULT_SECTORS * 512);
                }
            }
            text = "0 " + DEFAULT_SECTORS + " linear " + img + " 0";
        }
        String tableText = text;
        MappedDevice[] md = new MappedDevice[1];
        Daemon d;
        try {
            // The device exists before the socket does: a client that connects at once finds it.
            d = Daemon.start(listen.listen(null), null,
                    ns -> md[0] = ns.createWithTable(name, uuid, readOnly, tableText, cwd)).closeOnShutdown();
        } catch (jdm.dm.DmException e) {
            System.err.println("jdm: " + e.getMessage());
            return 1;
        }
        System.err.println("jdm: serving " + md[0].name() + " (" + md[0].sizeSectors() * 512 + " bytes) on "
                + d.nbd().addresses());
        d.awaitStop();
        return 0;
    }
}
