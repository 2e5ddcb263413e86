package importrules.fake.dm;

/** The target interface. */
public interface Target {
}
