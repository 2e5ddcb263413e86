package jdm;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;

/**
 * The import rules of the layout (DESIGN.md): arrows only point down, block ← io/dm/md ← nbd ← control ←
 * cli/daemon; md.layout (the data layouts and parity, inside md) and md.sb (the on-disk formats) use block only;
 * block ← logwrites (the log format) ← dm targets and tools (replay-log); tools also drive a whole daemon (aot-train,
 * through crash's NBD client); targets never use each other, nor nbd, control, cli or daemon; the dm core never
 * names a target.
 * Read from bytecode with ArchUnit, so fully-qualified uses count as much as imports. Each rule is written over a
 * root package and also run on {@code importrules.fake}, a miniature with one deliberate violation of each, to
 * show that it can fail.
 */
class ImportRulesTest {
    private static final String REAL = "jdm";
    private static final String FAKE = "importrules.fake";
    /** The one class in the targets package that may name every target. */
    private static final String REGISTRY = "BuiltinTargets";

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(REAL);
    private static final JavaClasses MINIATURE = new ClassFileImporter().importPackages(FAKE);

    // ---- the rules, over a root package ----

    static ArchRule layersPointDown(String root) {
        return layeredArchitecture().consideringOnlyDependenciesInAnyPackage(root + "..")
                .withOptionalLayers(true)
                .layer("block").definedBy(root + ".block..")
                .layer("io").definedBy(root + ".io..")
                .layer("logwrites").definedBy(root + ".logwrites..")
                .layer("dm").definedBy(root + ".dm..")
                .layer("md").definedBy(root + ".md..")
                .layer("mdlayout").definedBy(root + ".md.layout..", root + ".md.sb..")
                .layer("nbd").definedBy(root + ".nbd..")
                .layer("control").definedBy(root + ".control..")
                .layer("cli").definedBy(root + ".cli..")
                .layer("daemon").definedBy(root + ".daemon..")
                .layer("tools").definedBy(root + ".tools..")
                .layer("crash").definedBy(root + ".crash..")
                .layer("main").definedBy(root)
                .whereLayer("block").mayNotAccessAnyLayer()
                .whereLayer("io").mayOnlyAccessLayers("block")
                .whereLayer("logwrites").mayOnlyAccessLayers("block")
                .whereLayer("dm").mayOnlyAccessLayers("block", "io", "logwrites")
                .whereLayer("md").mayOnlyAccessLayers("block", "io", "mdlayout")
                .whereLayer("mdlayout").mayOnlyAccessLayers("block")
                .whereLayer("nbd").mayOnlyAccessLayers("block", "io", "dm", "md")
                .whereLayer("control").mayOnlyAccessLayers("block", "io", "dm", "md", "nbd")
                .whereLayer("cli").mayOnlyAccessLayers("block", "io", "dm", "md", "nbd", "control")
                .whereLayer("daemon").mayOnlyAccessLayers("block", "io", "dm", "md", "nbd", "control")
                .whereLayer("tools").mayOnlyAccessLayers("block", "logwrites", "dm", "daemon", "crash")
                .whereLayer("crash").mayOnlyAccessLayers("block", "io", "logwrites", "dm", "md", "nbd", "control",
                        "daemon")
                .whereLayer("main").mayOnlyAccessLayers("cli", "daemon", "tools", "crash");
    }

    /** The block interfaces (Bio, BlockDevice, ...) never name a device implementation. */
    static ArchRule blockInterfacesNameNoDevice(String root) {
        return noClasses().that().resideInAPackage(root + ".block")
                .should().dependOnClassesThat().resideInAPackage(root + ".block.dev..");
    }

    /** The CLI is a client of the control socket: it uses control only. */
    static ArchRule cliUsesOnlyControl(String root) {
        return noClasses().that().resideInAPackage(root + ".cli..")
                .should().dependOnClassesThat().resideInAnyPackage(root + ".block..", root + ".io..",
                        root + ".dm..", root + ".md..", root + ".nbd..", root + ".daemon..");
    }

    /** A target (one class, or one sub-package, in dm.targets) uses no other target; the registry names them all. */
    static ArchRule targetsNeverUseEachOther(String root) {
        String pkg = root + ".dm.targets";
        return classes().that().resideInAPackage(pkg + "..").and(DescribedPredicate.not(registry(pkg)))
                .should(new ArchCondition<JavaClass>("use no other target") {
                    @Override
                    public void check(JavaClass origin, ConditionEvents events) {
                        for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                            JavaClass to = d.getTargetClass().getBaseComponentType();
                            if (inPackage(to, pkg) && !targetOf(to, pkg).equals(targetOf(origin, pkg))) {
                                events.add(SimpleConditionEvent.violated(d, d.getDescription()));
                            }
                        }
                    }
                });
    }

    /** Targets sit below the front ends. */
    static ArchRule targetsStayBelowTheFrontEnds(String root) {
        return noClasses().that().resideInAPackage(root + ".dm.targets..")
                .should().dependOnClassesThat().resideInAnyPackage(root + ".nbd..", root + ".control..",
                        root + ".cli..", root + ".daemon..");
    }

    /** The dm core never names a target: targets are found through the registry it is given. */
    static ArchRule coreNeverNamesATarget(String root) {
        return noClasses().that().resideInAPackage(root + ".dm..").and().resideOutsideOfPackage(root + ".dm.targets..")
                .should().dependOnClassesThat().resideInAPackage(root + ".dm.targets..");
    }

    /** dm gets its lower devices from a device provider and never opens files itself. */
    static ArchRule dmOpensNoFiles(String root) {
        return noClasses().that().resideInAPackage(root + ".dm..")
                .should().dependOnClassesThat().resideInAPackage(root + ".block.dev..");
    }

    private static boolean inPackage(JavaClass c, String pkg) {
        return c.getPackageName().equals(pkg) || c.getPackageName().startsWith(pkg + ".");
    }

    /** The target a class belongs to: its sub-package of pkg, or else its top-level class. */
    private static String targetOf(JavaClass c, String pkg) {
        if (!c.getPackageName().equals(pkg)) {
            return c.getPackageName();
        }
        String name = c.getName();
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }

    private static DescribedPredicate<JavaClass> registry(String pkg) {
        return DescribedPredicate.describe("the registry",
                c -> c.getPackageName().equals(pkg) && targetOf(c, pkg).equals(pkg + "." + REGISTRY));
    }

    // ---- the rules hold for jdm ----

    @Test
    void theClassesWereReallyRead() {
        // An importer that cannot parse the class files would make every rule pass vacuously.
        assertThat(MAIN.contain("jdm.block.Bio")).isTrue();
        assertThat(MAIN.contain("jdm.dm.targets.LinearTarget")).isTrue();
        assertThat(MAIN.contain("jdm.ImportRulesTest")).as("tests are not under the rules").isFalse();
        assertThat(MAIN.get("jdm.dm.targets.LinearTarget").getDirectDependenciesFromSelf()).isNotEmpty();
        assertThat(MINIATURE.contain("importrules.fake.dm.targets.ATarget")).isTrue();
    }

    @Test
    void arrowsOnlyPointDown() {
        layersPointDown(REAL).check(MAIN);
    }

    @Test
    void blockInterfacesNameNoDevice() {
        blockInterfacesNameNoDevice(REAL).check(MAIN);
    }

    @Test
    void theCliUsesOnlyControl() {
        cliUsesOnlyControl(REAL).check(MAIN);
    }

    @Test
    void targetsNeverUseEachOther() {
        targetsNeverUseEachOther(REAL).check(MAIN);
    }

    @Test
    void targetsStayBelowTheFrontEnds() {
        targetsStayBelowTheFrontEnds(REAL).check(MAIN);
    }

    @Test
    void theDmCoreNeverNamesATarget() {
        coreNeverNamesATarget(REAL).check(MAIN);
    }

    @Test
    void dmOpensNoFiles() {
        dmOpensNoFiles(REAL).check(MAIN);
    }

    // ---- and each one fails on its violation in the miniature ----

    @Test
    void layeringCatchesAnUpwardUse() {
        assertThatThrownBy(() -> layersPointDown(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.block.Leaky.up()")
                .hasMessageContaining("importrules.fake.nbd.Server")
                .hasMessageContaining("importrules.fake.dm.targets.ATarget.control()")
                .hasMessageNotContaining("importrules.fake.cli.Client"); // cli → dm points down: the layering allows it
    }

    @Test
    void layeringCatchesAnMdLayoutUsingTheMdCore() {
        assertThatThrownBy(() -> layersPointDown(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.md.layout.Stripes.core()")
                .hasMessageNotContaining("Stripes.block()")   // block is below: allowed
                .hasMessageNotContaining("importrules.fake.md.Array.layout()"); // md uses its layouts
    }

    @Test
    void blockInterfacesRuleCatchesADevice() {
        assertThatThrownBy(() -> blockInterfacesNameNoDevice(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.block.Leaky.dev()")
                .hasMessageContaining("importrules.fake.block.dev.FileThing");
    }

    @Test
    void cliRuleCatchesAReachIntoDm() {
        assertThatThrownBy(() -> cliUsesOnlyControl(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.cli.Client.core()")
                .hasMessageNotContaining("Client.ops()");
    }

    @Test
    void targetRuleCatchesATargetUsingAnotherButNotTheRegistryOrANestedClass() {
        assertThatThrownBy(() -> targetsNeverUseEachOther(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.dm.targets.ATarget.other()")
                .hasMessageContaining("importrules.fake.dm.targets.BTarget")
                .hasMessageNotContaining("BuiltinTargets")
                .hasMessageNotContaining("BTarget$Context");
    }

    @Test
    void frontEndRuleCatchesATargetUsingControl() {
        assertThatThrownBy(() -> targetsStayBelowTheFrontEnds(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.dm.targets.ATarget.control()")
                .hasMessageContaining("importrules.fake.control.Ops");
    }

    @Test
    void coreRuleCatchesTheCoreNamingATarget() {
        assertThatThrownBy(() -> coreNeverNamesATarget(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.dm.Core.target()")
                .hasMessageContaining("importrules.fake.dm.targets.ATarget");
    }

    @Test
    void fileRuleCatchesDmOpeningAFile() {
        assertThatThrownBy(() -> dmOpensNoFiles(FAKE).check(MINIATURE))
                .hasMessageContaining("importrules.fake.dm.Core.file()")
                .hasMessageContaining("importrules.fake.block.dev.FileThing");
    }
}
