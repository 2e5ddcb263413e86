package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import jdm.control.ControlException;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.Errno;
import jdm.control.TargetVersion;
import org.junit.jupiter.api.Test;

class DmsetupFormatTest {
    private static DeviceDeps dev(String name, int minor, DevNo... deps) {
        return new DeviceDeps(name, new DevNo(253, minor), List.of(deps));
    }

    private static String tree(List<DeviceDeps> devices, String options) throws DmsetupFailure {
        return new DmsetupTree(devices, Map.of(), DmsetupTree.Options.parse(options, v -> null), n -> n).draw();
    }

    @Test
    void aTreeWithSiblingsBelowAnUpperSiblingDrawsTheVerticalLine() throws Exception {
        // top uses mid2 and mid1 (kernel order: newest first); mid1 uses a file, mid2 another and shared
        DevNo f0 = new DevNo(7, 0);
        DevNo f1 = new DevNo(7, 1);
        List<DeviceDeps> devices = List.of(
                dev("mid1", 0, f0),
                dev("mid2", 1, f1, new DevNo(253, 3)),
                dev("shared", 3),
                dev("top", 2, new DevNo(253, 1), new DevNo(253, 0)));
        assertThat(tree(devices, null)).isEqualTo("""
                top (253:2)
                 |-mid2 (253:1)
                 |  |- (7:1)
                 |  `-shared (253:3)
                 `-mid1 (253:0)
                    `- (7:0)
                """);
    }

    @Test
    void devicesNothingUsesStayAtTheTopInNameOrder() throws Exception {
        assertThat(tree(List.of(dev("a", 1), dev("b", 0, new DevNo(7, 3))), null)).isEqualTo("""
                a (253:1)
                b (253:0)
                 `- (7:3)
                """);
    }

    @Test
    void ioctlFailuresReadAsLibdmPrintsThem() {
        assertThat(DmsetupFormat.ioctlFailed(new ControlException(Errno.EINVAL, "reload", "x"), "vol", null, false))
                .isEqualTo("device-mapper: reload ioctl on vol  failed: Invalid argument");
        assertThat(DmsetupFormat.ioctlFailed(new ControlException(Errno.EINVAL, "reload", "x", new DevNo(253, 0)),
                "vol", null, true)).isEqualTo("device-mapper: reload ioctl on vol (253:0) failed: Invalid argument");
        assertThat(DmsetupFormat.ioctlFailed(new ControlException(Errno.EBUSY, "create", "x"), "vol", "U", false))
                .isEqualTo("device-mapper: create ioctl on vol U failed: Device or resource busy");
    }

    @Test
    void targetNamesArePaddedToSixteenColumns() {
        assertThat(DmsetupFormat.targetVersion(new TargetVersion("linear", 1, 4, 0)))
                .isEqualTo("linear           v1.4.0\n");
        assertThat(DmsetupFormat.targetVersion(new TargetVersion("a-very-long-target", 10, 0, 1)))
                .isEqualTo("a-very-long-target v10.0.1\n");
    }

    @Test
    void sectorsAndEventNumbersAreReadAsStrtoullAndAtoi() {
        assertThat(DmsetupCommand.strtoull("2048")).isEqualTo(2048L);
        assertThat(DmsetupCommand.strtoull(" 7")).isEqualTo(7L);
        assertThat(DmsetupCommand.strtoull("-1")).isEqualTo(-1L);
        assertThat(DmsetupCommand.strtoull("12x")).isNull();
        assertThat(DmsetupCommand.strtoull("")).isNull();
        assertThat(DmsetupCommand.strtoull("18446744073709551616")).as("ERANGE").isNull();
        assertThat(DmsetupCommand.atoi("12x")).isEqualTo(12);
        assertThat(DmsetupCommand.atoi("x")).isZero();
        assertThat(DmsetupCommand.atoi("-3")).isEqualTo(-3);
    }
}
