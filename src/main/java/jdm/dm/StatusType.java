package jdm.dm;

/** Which status a target reports: the kernel's STATUSTYPE_INFO (dmsetup status) or STATUSTYPE_TABLE (dmsetup table). */
public enum StatusType {
    INFO,
    TABLE
}
