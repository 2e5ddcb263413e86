package importrules.fake.md.layout;

/** Violates "md layouts use block only": a layout reaches up into the md core. */
public class Stripes {
    Object core() {
        return new importrules.fake.md.Array();
    }

    Object block() {
        return new importrules.fake.block.dev.FileThing();
    }
}
