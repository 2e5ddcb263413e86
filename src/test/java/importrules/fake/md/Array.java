package importrules.fake.md;

/** The md core of the miniature: it may use its layouts (md.layout sits inside md). */
public class Array {
    Object layout() {
        return new importrules.fake.md.layout.Stripes();
    }
}
