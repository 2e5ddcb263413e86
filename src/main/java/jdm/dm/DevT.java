package jdm.dm;

/**
 * A device number, printed as the kernel prints {@code dm_dev->name}: "major:minor". Mapped devices get major 253
 * (device-mapper's), backing files major 7 (the loop driver's, which is how the kernel would see a file).
 */
public record DevT(int major, int minor) {
    public static final int DM_MAJOR = 253;
    public static final int FILE_MAJOR = 7;

    /** Parses "major:minor", or returns null when the word is not of that form. */
    public static DevT parse(String word) {
        int colon = word.indexOf(':');
        if (colon <= 0 || colon == word.length() - 1) {
            return null;
        }
        try {
            int major = Integer.parseInt(word, 0, colon, 10);
            int minor = Integer.parseInt(word, colon + 1, word.length(), 10);
            return major < 0 || minor < 0 ? null : new DevT(major, minor);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
