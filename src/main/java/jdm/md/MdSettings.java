package jdm.md;

/** The global md tunables of /proc/sys/dev/raid: speed_limit_min and speed_limit_max (KiB/s, md.c's sysctl). */
public final class MdSettings {
    /** md.c's sysctl_speed_limit_min / _max defaults. */
    public static final long DEFAULT_SPEED_MIN = 1000, DEFAULT_SPEED_MAX = 200000;

    private volatile long speedLimitMin = DEFAULT_SPEED_MIN;
    private volatile long speedLimitMax = DEFAULT_SPEED_MAX;

    public long speedLimitMin() {
        return speedLimitMin;
    }

    public long speedLimitMax() {
        return speedLimitMax;
    }

    public void setSpeedLimitMin(long kibs) {
        speedLimitMin = kibs;
    }

    public void setSpeedLimitMax(long kibs) {
        speedLimitMax = kibs;
    }
}
