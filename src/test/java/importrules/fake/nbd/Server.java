package importrules.fake.nbd;

/** An NBD server. */
public class Server {
}
