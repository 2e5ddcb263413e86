/**
 * A miniature jdm with one deliberate violation of each import rule, so {@code jdm.ImportRulesTest} can show that
 * every rule fails when broken. References are fully qualified on purpose: the rules read bytecode, not imports.
 */
package importrules.fake;
