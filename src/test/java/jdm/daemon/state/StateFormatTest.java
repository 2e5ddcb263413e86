package jdm.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import jdm.daemon.state.SavedState.SavedDevice;
import jdm.daemon.state.SavedState.SavedFile;
import jdm.daemon.state.SavedState.SavedTable;
import org.junit.jupiter.api.Test;

class StateFormatTest {
    static final SavedState STACK = new SavedState(
            List.of(new SavedFile(0, Path.of("/srv/a.img")), new SavedFile(3, Path.of("/srv/my disk\\1.img"))),
            List.of(new SavedDevice("base", null, 0, false, false, 0,
                            new SavedTable(false, List.of("0 131072 striped 2 64 7:0 0 7:3 0")), null),
                    new SavedDevice("top vol", "JDM-top-0001", 7, true, true, 42,
                            new SavedTable(true, List.of("0 32768 linear 253:0 8192", "32768 8 zero ")),
                            new SavedTable(false, List.of("0 8 error ")))));

    @Test
    void aStateWrittenThenParsedIsTheSameState() throws Exception {
        StateFormat.Parsed back = StateFormat.parse(StateFormat.write(STACK));
        assertThat(back.problems()).isEmpty();
        assertThat(back.state()).isEqualTo(STACK);
    }

    @Test
    void theEventNumberIsTheKernelsUnsigned32BitCounter() throws Exception {
        SavedDevice wrapped = new SavedDevice("w", null, 1, false, false, -1, null, null);
        String text = StateFormat.write(new SavedState(List.of(), List.of(wrapped)));
        assertThat(text).contains("  event 4294967295\n");
        assertThat(StateFormat.parse(text).state().devices()).containsExactly(wrapped);
        assertThat(StateFormat.parse(text.replace("4294967295", "4294967296")).problems())
                .containsExactly("device w: line 8: bad event number \"4294967296\"");
    }

    @Test
    void theTextIsVersionedLineBasedAndEscapesSpacesAndBackslashesInNamesAndPaths() {
        assertThat(StateFormat.write(STACK)).endsWith("""
                jdm-state 1
                file 7:0 /srv/a.img
                file 7:3 /srv/my\\x20disk\\\\1.img
                device base
                  dev 253:0
                  read-only no
                  suspended no
                  event 0
                  live rw
                    0 131072 striped 2 64 7:0 0 7:3 0
                end
                device top\\x20vol
                  dev 253:7
                  uuid JDM-top-0001
                  read-only yes
                  suspended yes
                  event 42
                  live ro
                    0 32768 linear 253:0 8192
                    32768 8 zero\040
                  inactive rw
                    0 8 error\040
                end
                """);
    }

    @Test
    void aFileWithoutTheHeaderIsRejectedWhole() {
        assertThatThrownBy(() -> StateFormat.parse("{\"devices\": []}\n"))
                .isInstanceOf(StateFormat.Unreadable.class)
                .hasMessage("line 1: not a jdm state file (want \"jdm-state 1\", got \"{\"devices\": []}\")");
        assertThatThrownBy(() -> StateFormat.parse("jdm-state 2\n"))
                .hasMessage("line 1: state format version \"2\": this jdm reads version 1");
        assertThatThrownBy(() -> StateFormat.parse("\n# nothing\n"))
                .hasMessage("empty: no \"jdm-state 1\" header");
    }

    @Test
    void aCorruptDeviceEntryIsNamedAndLeftOutWhileTheOthersAreKept() throws Exception {
        String text = StateFormat.write(STACK).replace("event 42", "event forty-two");
        StateFormat.Parsed p = StateFormat.parse(text);
        assertThat(p.problems()).containsExactly("device top vol: line 19: bad event number \"forty-two\"");
        assertThat(p.state().devices()).extracting(SavedDevice::name).containsExactly("base");
        assertThat(p.state().files()).isEqualTo(STACK.files());
    }

    @Test
    void anEntryCutShortIsNamedAndTheNextEntryStillReads() throws Exception {
        String text = """
                jdm-state 1
                device half
                  dev 253:4
                  live rw
                    0 8 zero
                device whole
                  dev 253:5
                end
                file 7:x nowhere
                bogus line
                """;
        StateFormat.Parsed p = StateFormat.parse(text);
        assertThat(p.problems()).containsExactly(
                "device half: line 5: no \"end\" line: the entry is cut short",
                "line 9: bad backing file entry (want \"file 7:N /absolute/path\"), got \"file 7:x nowhere\"",
                "line 10: expected \"file\" or \"device\", got \"bogus line\"");
        assertThat(p.state().devices()).containsExactly(
                new SavedDevice("whole", null, 5, false, false, 0, null, null));
    }

    @Test
    void eachKindOfBadDeviceLineSaysWhatIsWrong() throws Exception {
        assertThat(problem("  dev 7:1")).isEqualTo("bad device number \"7:1\" (want 253:N)");
        assertThat(problem("  suspended maybe")).isEqualTo("\"suspended\" wants yes or no, got \"maybe\"");
        assertThat(problem("  live rx")).isEqualTo("\"live\" wants rw or ro, got \"rx\"");
        assertThat(problem("  colour blue")).isEqualTo("unknown key \"colour\"");
        assertThat(problem("    0 8 zero")).isEqualTo("a table line outside \"live\" or \"inactive\"");
        assertThat(problem("  uuid bad\\q")).isEqualTo("bad uuid \"bad\\q\"");
    }

    private static String problem(String line) throws Exception {
        StateFormat.Parsed p = StateFormat.parse("jdm-state 1\ndevice d\n  dev 253:0\n" + line + "\nend\n");
        assertThat(p.state().devices()).isEmpty();
        assertThat(p.problems()).hasSize(1).allMatch(s -> s.startsWith("device d: line 4: "));
        return p.problems().getFirst().substring("device d: line 4: ".length());
    }

    @Test
    void escapingRoundTripsControlCharactersAndRejectsUnknownEscapes() {
        String odd = "a b\\c\td\u007fé";
        assertThat(StateFormat.escape(odd, true)).isEqualTo("a\\x20b\\\\c\\x09d\\x7fé");
        assertThat(StateFormat.unescape(StateFormat.escape(odd, true))).isEqualTo(odd);
        assertThat(StateFormat.unescape(StateFormat.escape(odd, false))).isEqualTo(odd);
        assertThat(StateFormat.unescape("x\\n")).isNull();
        assertThat(StateFormat.unescape("x\\x4")).isNull();
    }
}
