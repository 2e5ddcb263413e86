package importrules.fake.dm.targets;

/** Violates "targets never use each other" (uses BTarget) and "targets stay below nbd" (uses control). */
public class ATarget implements importrules.fake.dm.Target {
    Object other() {
        return new importrules.fake.dm.targets.BTarget();
    }

    Object control() {
        return new importrules.fake.control.Ops();
    }
}
