package importrules.fake.control;

/** Control operations. */
public class Ops {
}
