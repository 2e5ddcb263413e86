package importrules.fake.cli;

/** Violates "the CLI uses only control": it reaches into dm. */
public class Client {
    Object ops() {
        return new importrules.fake.control.Ops();
    }

    Object core() {
        return new importrules.fake.dm.Core();
    }
}
