package importrules.fake.block.dev;

/** A leaf device. */
public class FileThing {
}
