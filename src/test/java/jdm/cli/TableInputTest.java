package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TableInputTest {
    @Test
    void commentsAndBlankLinesAreDroppedButLineNumbersKept() throws Exception {
        TableInput.Parsed p = TableInput.parse("# header\n\n  0 8 linear a.img 0 # where\r\n8\t8  zero\n", "t");
        assertThat(p.targets()).isEqualTo(2);
        assertThat(p.text()).isEqualTo("\n\n0 8 linear a.img 0 \n8 8 zero ");
    }

    @Test
    void onlyCommentsOrNothingMeansNoTable() throws Exception {
        assertThat(TableInput.parse("", "on stdin").targets()).isZero();
        assertThat(TableInput.parse("# nothing\n\n", "on stdin")).isEqualTo(new TableInput.Parsed("", 0));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            minus one wraps like strtoull        | -1 8 zero                     | 18446744073709551615 8 zero
            overflow saturates                   | 99999999999999999999 8 zero   | 18446744073709551615 8 zero
            plus sign                            | +0 8 zero                     | 0 8 zero
            digits then letters split the type   | 0 1x0 linear a 0              | 0 1 x0 linear a 0
            a type starting with a hash          | 0 8 #x                        | 0 8 #x
            """)
    void numbersAndTypesAreScannedAsSscanfDoes(String what, String line, String sent) throws Exception {
        assertThat(TableInput.parse(line, "").text().strip()).as(what).isEqualTo(sent);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no type            | 0 8
            letters for start  | x 8 zero
            sign without digit | - 8 zero
            """)
    void linesThatDoNotScanAreRefusedWithDmsetupsMessage(String what, String line) {
        assertThatThrownBy(() -> TableInput.parse("0 8 zero\n" + line, "my.table"))
                .isInstanceOfSatisfying(DmsetupFailure.class, f -> {
                    assertThat(f.lines()).containsExactly("Invalid format on line 2 of table my.table.");
                    assertThat(f.commandFailed()).isTrue();
                });
    }
}
