package importrules.fake.dm;

/** Violates "the core never names a target" and "dm does not open files itself". */
public class Core {
    Object target() {
        return new importrules.fake.dm.targets.ATarget();
    }

    Object file() {
        return new importrules.fake.block.dev.FileThing();
    }
}
