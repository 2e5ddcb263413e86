package importrules.fake.dm.targets;

/** A well-behaved target: its nested class may use it, and it may use the core. */
public class BTarget implements importrules.fake.dm.Target {
    static final class Context {
        BTarget owner;
    }

    Context context() {
        return new Context();
    }
}
