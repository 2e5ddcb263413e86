package jdm.cli;

import java.util.Locale;

/**
 * libdm's device name and UUID mangling (libdm-common.c mangle_string/unmangle_string): characters udev cannot take
 * in a node name are sent to the kernel as \xNN. "auto" (the default) mangles what needs it and refuses a string
 * mixing mangled and unmangled parts, "hex" mangles every such character, "none" sends strings as given. Names
 * coming back are unmangled unless the mode is "none".
 */
enum NameMangling {
    NONE, AUTO, HEX;

    /** The mode from --manglename, else $DM_DEFAULT_NAME_MANGLING_MODE, else auto; null for an unknown word. */
    static NameMangling of(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "none" -> NONE;
            case "auto" -> AUTO;
            case "hex" -> HEX;
            default -> null;
        };
    }

    private static boolean whitelisted(char c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || "#+-.:=@_".indexOf(c) >= 0;
    }

    /**
     * The string as sent to the kernel. what is "name", "new name", "UUID" or "new UUID" as libdm words its errors;
     * failed is the line libdm adds when mangling fails ("Failed to mangle device name \"X\".").
     */
    String mangle(String s, String what, String failed) throws DmsetupFailure {
        if (this == AUTO && s.contains("\\x5cx")) {
            throw DmsetupFailure.command("The " + what + " \"" + s + "\" seems to be mangled more than once. "
                    + "This is not allowed in auto mode.");
        }
        if (this == NONE || s.isEmpty()) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        int need = -1;
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            char c = (char) (bytes[i] & 0xff);
            if (this == AUTO && c == '\\' && i + 1 < bytes.length && bytes[i + 1] == 'x') {
                if (bytes.length - i < 4 || need == 1) {
                    throw mixed(s, what, failed);
                }
                out.append(new String(bytes, i, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
                i += 3;
                need = 0;
                continue;
            }
            if (whitelisted(c)) {
                out.append(c);
            } else {
                if (this != HEX && need == 0) {
                    throw mixed(s, what, failed);
                }
                out.append(String.format("\\x%02x", (int) c));
                need = 1;
            }
        }
        if (out.length() >= 128) {
            throw DmsetupFailure.command("Mangled form of the " + what + " too long for \"" + s + "\".", failed);
        }
        return out.toString();
    }

    private static DmsetupFailure mixed(String s, String what, String failed) {
        return DmsetupFailure.command("The " + what + " \"" + s + "\" contains mixed mangled and unmangled "
                + "characters or it's already mangled improperly.", failed);
    }

    /** A name or UUID from the kernel as shown to the user: \xNN decoded, unless the mode is none. */
    String unmangle(String s) {
        if (this == NONE || s == null || s.indexOf('\\') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x' && hex(s.charAt(i + 2)) >= 0
                    && hex(s.charAt(i + 3)) >= 0) {
                out.write(hex(s.charAt(i + 2)) * 16 + hex(s.charAt(i + 3)));
                i += 3;
            } else {
                byte[] b = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
