package importrules.fake.block;

/** Violates "arrows point down" (block uses nbd) and "block interfaces never name a device" (block uses block.dev). */
public class Leaky {
    Object up() {
        return new importrules.fake.nbd.Server();
    }

    Object dev() {
        return new importrules.fake.block.dev.FileThing();
    }
}
