package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.block.dev.FileDevice;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every requirement the NBD spec (NetworkBlockDevice/nbd doc/proto.md) puts on a server, one row each: the MUSTs and
 * MUST NOTs, and the SHOULDs jdm follows. A row's test is a method of this class (named as the requirement, its
 * Javadoc quoting the spec) or, where another test already proves it byte by byte, that test. Raw sockets
 * ({@link RawClient}) keep every byte under control; TLS rows use a Bouncy Castle PSK client.
 *
 * <p>Deliberately not supported, so their rows are about refusing them properly: oldstyle negotiation (the
 * reference server dropped it in 3.10; jdm greets with newstyle only), NBD_CMD_RESIZE (experimental), SELECTIVETLS with TLS-only exports (with --tls=on every export is served either
 * way; --tls=require is FORCEDTLS).
 *
 * <pre>
 * §  section                          requirement (server side)                                         test
 * -- handshake -------------------------------------------------------------------------------------------------
 * H1  Oldstyle / Newstyle             oldstyle no longer supported; SHOULD refuse it on the newstyle port  oldstyleIsNotSpokenTheGreetingIsNewstyle
 * H2  Handshake flags                 FIXED_NEWSTYLE MUST be set; MUST NOT set any other flags            handshakeFlagsAreFixedNewstyleAndNoZeroesOnly
 * H3  Newstyle / Client flags         MUST close the connection on client flags it does not recognise    unknownClientFlagsDropTheConnection
 * H4  Client flags (NO_ZEROES)        with C_NO_ZEROES MUST NOT send the 124 zeroes after EXPORT_NAME     HandshakeTest.exportNameEntersTransmissionWithZeroPaddingUnlessNoZeroes
 * H5  NBD_OPT_EXPORT_NAME             export refused or its requirements unmet: MUST terminate           exportNameThatCannotBeServedTerminatesTheSession
 * H6  Newstyle (non-fixed)            only EXPORT_NAME is valid without fixed newstyle                    HandshakeTest.withoutFixedNewstyleOnlyExportNameIsAccepted
 * H7  Fixed newstyle                  every option but EXPORT_NAME gets replies: reply magic, the option  everyOptionReplyEchoesTheOptionUnderTheReplyMagic
 * H8  Baseline                        unimplemented options: MUST reply ERR_UNSUP, MUST parse the next    unimplementedOptionsGetErrUnsupAndTheNextOptionIsParsed
 * H9  Option reply types (TOO_BIG)    an option too large to process is refused, the stream kept in step  HandshakeTest.anOversizedOptionIsDiscardedAndRefusedAsTooBig
 * H10 Termination during haggling     server MUST (save DoS) simply error options, not hang up            erroredOptionsNeverEndTheHaggling
 * H11 NBD_OPT_ABORT                   MUST reply ACK; SHOULD ignore data sent with it                     abortIsAcknowledgedAndItsDataIgnored
 * H12 NBD_OPT_ABORT                   SHOULD handle a client that aborts and closes without the ACK       aClientThatAbortsAndHangsUpIsHandledGracefully
 * H13 NBD_OPT_LIST                    REP_SERVER per export then ACK; data SHOULD be ERR_INVALID          HandshakeTest.listNamesEveryExportWithItsDescriptionThenAcks, listWithDataIsInvalid
 * H14 NOTLS mode                      STARTTLS: ERR_POLICY/UNSUP; MUST NOT reply ERR_TLS_REQD to anything withoutTlsStartTlsIsRefusedAndTlsReqdNeverSent
 * H15 NBD_OPT_INFO / GO               before ACK MUST send NBD_INFO_EXPORT, length 12                     infoAndGoSendATwelveByteInfoExportBeforeTheirAck
 * H16 NBD_OPT_INFO / GO               MUST ignore information requests it does not understand            unknownInformationRequestsAreIgnored
 * H17 NBD_OPT_INFO / GO (UNKNOWN)     unknown export: ERR_UNKNOWN, SHOULD NOT send NBD_REP_INFO           anUnknownExportIsErrUnknownWithoutInfo
 * H18 NBD_OPT_INFO / GO               INFO then GO with the same parameters: MUST send the same info      goRepeatsTheInformationOfTheSameInfo
 * H19 NBD_OPT_GO                      MUST NOT send zero padding after the ACK, NO_ZEROES or not          goSendsNoZeroPaddingAfterItsAck
 * H20 NBD_REP_INFO types              INFO_EXPORT 12, INFO_NAME/DESCRIPTION >= 2, INFO_BLOCK_SIZE 14      infoRepliesHaveTheLengthsTheirTypesDemand
 * H21 Size constraints                min: power of 2 <= 64 KiB; preferred: power of 2 >= max(min, 512);  blockSizesObeyThePowerOfTwoAndOrderingRules
 *                                     max payload >= preferred; size SHOULD be a multiple of min
 * H22 NBD_INFO_BLOCK_SIZE             MUST send it if requested and constraints are not the defaults      blockSizeIsSentWhenRequested
 * H23 Size constraints / INFO        clients that did not negotiate sizes: MUST cleanly error commands   commandsOutsideTheConstraintsAreCleanlyErroredForClientsThatDidNotAsk
 *                                     outside the constraints without corrupting data; info sent unasked
 *                                     (BLOCK_SIZE) MUST NOT be assumed understood
 * H24 NBD_OPT_INFO / GO data          name length MUST fit the option; malformed: ERR_INVALID             HandshakeTest.infoAndGoWithInconsistentLengthsAreInvalid
 * H25 Conventions (strings)           strings: UTF-8, no NUL, at most 4096 bytes (SHOULD: 256), names     stringsAreUtf8WithoutNulAndAtMost4096Bytes, HandshakeTest.anErrorQuotesALongNameOnlyInPart
 *                                     and messages alike
 * H26 NBD_OPT_STRUCTURED_REPLY        data SHOULD be ERR_INVALID; after ACK MUST use structured replies   StructuredReplyTest.structuredRepliesTakeNoDataAndDfIsAdvertisedOnlyWithThem, structuredRepliesAreUsedOnceNegotiated
 * H27 NBD_OPT_LIST_META_CONTEXT       syntactically invalid: MUST ERR_INVALID; unknown namespaces MUST be  StructuredReplyTest.metaContextsNeedStructuredRepliesAndAnExistingExport,
 *                                     ignored; no query: all contexts; IDs SHOULD be 0                   StructuredReplyTest.listAndSetMetaContextOfferBaseAllocationAndIgnoreOtherNamespaces
 * H28 NBD_OPT_LIST_META_CONTEXT       no query matches: MUST send a single ACK                            aMetaContextQueryMatchingNothingIsASingleAck
 * H29 base: namespace                 "base:" MUST be ignored by SET, a wildcard for LIST; unknown         theBaseWildcardListsButSelectsNothingAndUnknownLeavesAreIgnored
 *                                     base: leaves MUST be ignored, not errored; a returned context MUST
 *                                     begin with its namespace and a colon, in valid UTF-8
 * H30 NBD_OPT_SET_META_CONTEXT        replaces the selection, even when it fails; no query: selects none  setMetaContextReplacesTheSelectionEvenWhenItFails
 * H31 NBD_OPT_SET_META_CONTEXT        without structured replies SHOULD be ERR_INVALID                    StructuredReplyTest.metaContextsNeedStructuredRepliesAndAnExistingExport
 * H32 NBD_OPT_EXTENDED_HEADERS        no data; supersedes structured replies; 32-byte headers both ways   ExtendedHeadersTest (both methods)
 * H33 Termination during haggling     server shutting down SHOULD error further options ERR_SHUTDOWN      serverShutdownAnswersFurtherOptionsWithErrShutdown
 * -- TLS -------------------------------------------------------------------------------------------------------
 * T1  FORCEDTLS                       before TLS every option but STARTTLS/ABORT (INFO, GO, unknown ones)  forcedTlsRefusesEveryOptionButStartTlsAndAbortWithTlsReqd
 *                                     MUST get ERR_TLS_REQD, and no NBD_REP_INFO
 * T2  FORCEDTLS                       EXPORT_NAME before TLS MUST terminate the session                   forcedTlsEndsTheSessionOnExportNameBeforeTls
 * T3  FORCEDTLS / NBD_OPT_ABORT       ABORT before TLS is still acknowledged                              forcedTlsAcknowledgesAbortBeforeTls
 * T4  FORCEDTLS / SELECTIVETLS        STARTTLS before TLS MUST be ACKed; then all data MUST go over TLS;  startTlsIsAckedAndEveryLaterByteIsTls
 *                                     TLS 1.2 MUST be supported
 * T5  FORCEDTLS / SELECTIVETLS        STARTTLS once TLS is up MUST be ERR_INVALID                         aSecondStartTlsIsInvalid
 * T6  FORCEDTLS / SELECTIVETLS        MUST NOT send ERR_TLS_REQD once TLS is initiated                    noTlsReqdOnceTlsIsUp
 * T7  NBD_OPT_STARTTLS                MUST NOT preserve negotiation state from before it                  startTlsForgetsWhatWasNegotiatedBefore
 * T8  FORCEDTLS                       a failed TLS handshake MUST terminate the session                   aFailedTlsHandshakeEndsTheSession, daemon.TlsTest.bytesSentRightAfterStartTlsCloseTheConnection
 * T9  SELECTIVETLS                    ERR_TLS_REQD only for INFO/GO/EXPORT_NAME of TLS-only exports       selectiveTlsOffersStartTlsAndNeverAnswersTlsReqd
 * T10 Server-side requirements        MUST operate in NOTLS mode unless fixed newstyle was negotiated     withoutFixedNewstyleTheServerIsInNotlsMode
 * T11 NBD_CMD_DISC                    the server MUST close down the TLS session, then the TCP connection  discOverTlsClosesTheTlsSessionThenTheConnection
 * T12 (real clients)                  nbdinfo/nbdcopy/qemu-img over X.509 and PSK                          daemon.TlsTest
 * -- transmission ----------------------------------------------------------------------------------------------
 * X1  Simple reply message            without structured replies MUST use only simple replies             withoutStructuredRepliesEveryReplyIsSimple
 * X2  Transmission                    every reply MUST carry the request's cookie, as an opaque value     everyReplyCarriesTheRequestsCookie
 * X3  Ordering / NBD_CMD_FLUSH        writes completed before a FLUSH MUST be durable before its reply    aFlushRepliesOnlyOnceEarlierWritesAreDurable
 * X4  Ordering / NBD_CMD_FLAG_FUA     MUST NOT reply to a FUA command until its data is durable           fuaRepliesOnlyOnceTheDataIsDurable
 * X5  NBD_CMD_FLAG_FUA                with SEND_FUA, MUST accept FUA on every command                     fuaIsAcceptedOnEveryCommand
 * X6  NBD_FLAG_CAN_MULTI_CONN         FLUSH and FUA effects MUST be visible on all connections            MultiConnFlushTest
 * X7  NBD_FLAG_READ_ONLY / errors     MUST error writes (SHOULD be EPERM: WRITE, TRIM, WRITE_ZEROES)      TransmissionTest.aReadOnlyExportRefusesEveryKindOfWriteWithEperm
 * X8  Error values / size             past the end: READ, TRIM, BLOCK_STATUS EINVAL; WRITE, WRITE_ZEROES  TransmissionTest.requestsPastTheEndAreRefusedReadsWithEinvalWritesWithEnospc,
 *                                     ENOSPC (SHOULDs)                                                    StructuredReplyTest.blockStatusReportsTheFilesHolesAsZeroHolesAndHonoursReqOne
 * X9  Size constraints                unaligned requests SHOULD be EINVAL; the stream stays in step       TransmissionTest.unalignedRequestsAreRefusedWithEinvalAndTheStreamStaysInStep
 * X10 NBD_CMD_READ (simple)           on error MUST NOT send any payload                                  TransmissionTest.deviceErrorsAreRepliedAsNbdErrors
 * X11 READ/WRITE/TRIM/WRITE_ZEROES/   length 0: unspecified, but the server SHOULD NOT disconnect         zeroLengthRequestsNeverDisconnect
 *     BLOCK_STATUS
 * X12 Size constraints                payloads up to 2^25 SHOULD NOT count as denial of service; longer   TransmissionTest.writtenDataReadsBackIdenticalAtEverySize, readsAndWritesOverThirtyTwoMebibytesAreRefused,
 *                                     may be refused; TRIM/WRITE_ZEROES past max payload: no disconnect   aWriteTooLargeToSkipIsRefusedAndTheConnectionClosed
 * X13 Structured reply chunk message  MUST NOT use a simple reply for READ, not even for an early EINVAL  everyReadErrorIsAStructuredErrorChunk
 * X14 Structured replies / READ       DONE only and always on the last chunk; no other flags; NONE is 0   structuredReadsCoverTheRequestWithNonOverlappingChunksDoneLast
 *                                     bytes; content chunks within the request, not overlapping, >= 1
 *                                     byte, covering all of it; HOLE 12 bytes, nonzero; chunks no longer
 *                                     than the maximum payload (plus header)
 * X15 NBD_CMD_FLAG_DF                 at most one content chunk; data and hole MUST go as OFFSET_DATA;    structuredReadsCoverTheRequestWithNonOverlappingChunksDoneLast,
 *                                     MUST support DF reads up to 64 KiB; SEND_DF iff structured          StructuredReplyTest.structuredRepliesTakeNoDataAndDfIsAdvertisedOnlyWithThem
 * X16 NBD_REPLY_TYPE_ERROR(_OFFSET)   error MUST be nonzero; length >= 6 (14); message <= length - 6;     everyReadErrorIsAStructuredErrorChunk
 *                                     the offset MUST lie within the request
 * X17 NBD_CMD_BLOCK_STATUS            one BLOCK_STATUS chunk per context; 4 + 8n bytes, n >= 1; nonzero   blockStatusRepliesFollowTheDescriptorRules
 *                                     lengths; first N-1 sum < length; REQ_ONE: exactly one, <= length;
 *                                     SHOULD be multiples of 512; ZERO only where zeros are read
 * X18 NBD_CMD_BLOCK_STATUS            without a selected context (for that export) SHOULD be EINVAL       StructuredReplyTest.blockStatusWithoutABaseAllocationContextForThisExportIsRefused
 * X19 NBD_CMD_CACHE                   advertised: MUST reject flags it does not recognise; MUST NOT change cacheRejectsFlagsItDoesNotKnowAndChangesNoData
 *                                     semantics
 * X20 NBD_CMD_WRITE_ZEROES            MUST read back as zero; MUST support NO_HOLE if advertised          writeZeroesReadsBackAsZeroWithAndWithoutNoHole
 * X21 NBD_CMD_FLAG_FAST_ZERO          SEND_FAST_ZERO MUST be clear without SEND_WRITE_ZEROES; without the fastZeroIsOfferedOnlyWithWriteZeroesAndRefusedQuicklyWithoutChanges,
 *                                     flag MUST NOT fail ENOTSUP; with it MUST fail fast with ENOTSUP     StructuredReplyTest.fastZeroFailsWithEnotsupOnlyWhenAskedAndTheDeviceCannotZeroFast
 *                                     when not faster, SHOULD NOT change the contents then
 * X22 NBD_CMD_DISC                    MUST handle outstanding requests, then close; no reply to DISC      discGetsNoReplyAndClosesTheConnection, TransmissionTest.disconnectLetsInFlightRequestsReplyBeforeTheExportIsReleased
 * X23 Error values / command flags    unknown commands SHOULD be EINVAL; unknown flags and flags not      unknownCommandsAndMisplacedFlagsAreEinval
 *                                     documented for the command SHOULD be EINVAL
 * X24 Transmission flags              HAS_FLAGS MUST be 1; MUST NOT set flags of unsupported features    transmissionFlagsHaveHasFlagsAndOnlyFeaturesTheServerHas
 * X25 Error values                    only the listed values; ENOTSUP only for FAST_ZERO, EOVERFLOW not   deviceErrorsMapOntoTheSpecsErrorValues, TransmissionTest.deviceErrorsAreRepliedAsNbdErrors,
 *                                     otherwise; SHOULD map EDQUOT/EFBIG to ENOSPC                        block.dev.FileDeviceStatusTest (EDQUOT, EFBIG: NOSPC, which is ENOSPC)
 * X26 Terminating transmission        server shutdown SHOULD let in-flight requests finish first (a      NbdServerTest.closeLetsInFlightRequestsReplyThenReleasesExports,
 *                                     WRITE whose payload never comes is not one)                         shutdownDoesNotWaitForAStalledWritePayload
 * X27 Terminating transmission        requests arriving during shutdown SHOULD get NBD_ESHUTDOWN          serverShutdownFailsRequestsArrivingMeanwhileWithEshutdown
 * X28 Terminating transmission        MUST NOT disconnect otherwise: errors keep the connection           unknownCommandsAndMisplacedFlagsAreEinval (one connection throughout), NbdFuzzTest
 * X29 Protocol phases                 TCP: SHOULD disable Nagle's algorithm (TCP_NODELAY)                 tcpConnectionsDisableNagle
 * X30 Termination (both phases)       hard disconnects only on a violation or denial of service: a bad   HandshakeTest.aBadOptionMagicClosesTheConnection, TransmissionTest.garbageDropsOnlyThatConnectionAndOthersKeepWorking,
 *                                     magic, an option over 32 MiB, over 256 options, a handshake not    TransmissionTest.aWriteTooLargeToSkipIsRefusedAndTheConnectionClosed,
 *                                     done in --handshake-timeout, a WRITE payload over 64 MiB           ConnectionLimitsTest.aClientThatDoesNotFinishTheHandshakeInTimeIsClosed
 * X31 NBD_CMD_WRITE / errors          MUST write the data, then reply; on error MUST set the error code   TransmissionTest.writtenDataReadsBackIdenticalAtEverySize, deviceErrorsAreRepliedAsNbdErrors
 * X32 NBD_CMD_READ (simple)           an error after a zero-error header MUST hard-disconnect: never      TransmissionTest.deviceErrorsAreRepliedAsNbdErrors (the reply header goes out only after the
 *                                     arises, the header goes out only once the data is read              read ended; ReplyEncoder),
 *                                                                                                         StructuredReplyTest.failedReadsAreErrorOffsetChunksRefusalsAndOtherErrorsAreErrorChunks
 * X33 NBD_CMD_FLAG_NO_HOLE            the area MUST be fully provisioned: passed to the device as NOUNMAP TransmissionTest.commandsBecomeTheMatchingBiosWithFuaAndNoUnmap
 * </pre>
 */
@Timeout(60)
class ProtocolMustTest {
    private static final int MIB = 1 << 20;
    private static final long SIZE = 16 * MIB;
    private static final byte[] PSK = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");

    @TempDir
    Path dir;
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();
    private FaultyDisk disk;
    private FaultyDisk noZero;
    private WriteCacheDisk cache;
    private FileDevice sparse;
    private byte[] image;
    private MapExports exports;
    private NbdServer server;
    private Path sock;

    @BeforeEach
    void start() throws IOException {
        Path f = dir.resolve("sparse.img");
        image = new byte[(int) SIZE];
        Random rnd = new Random(10);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(SIZE);
            long[][] data = {{MIB, MIB}, {3L * MIB + 4096, 8192}, {8L * MIB - 65536, 131072}, {15L * MIB, MIB}};
            for (long[] d : data) {
                byte[] b = new byte[(int) d[1]];
                rnd.nextBytes(b);
                r.seek(d[0]);
                r.write(b);
                System.arraycopy(b, 0, image, (int) d[0], b.length);
            }
        }
        sparse = FileDevice.open(f, false);
        disk = new FaultyDisk(new MemoryDisk("disk", SIZE >> 9));
        noZero = new FaultyDisk(new MemoryDisk("nz", 2048)).fail(Set.of(Op.WRITE_ZEROES), 0, 2048, BlkStatus.NOTSUPP);
        cache = new WriteCacheDisk(new MemoryDisk("c", 2048));
        exports = MapExports.builder()
                .add("disk", checks.wrap(disk), false, "the test disk")
                .add("ro", checks.wrap(new MemoryDisk("ro", 2048, QueueLimits.DEFAULT, true)), true, null)
                .add("4k", checks.wrap(new MemoryDisk("4k", 2048, new QueueLimits(4096, 4096, 65536), false)))
                .add("sparse", checks.wrap(sparse))
                .add("cache", checks.wrap(cache))
                .add("failing", checks.wrap(new FaultyDisk(new MemoryDisk("f", 2048)).failAll(BlkStatus.IOERR)))
                .add("nozero", checks.wrap(noZero))
                .defaultExport("disk")
                .build();
        sock = dir.resolve("nbd.sock");
        server = new NbdServer(exports).listenUnix(sock).start();
    }

    @AfterEach
    void stop() {
        server.close();
        sparse.close();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private RawClient greet() throws IOException {
        return RawClient.connect(sock).greet();
    }

    /** Structured replies, base:allocation selected when meta, then GO to the export. */
    private RawClient structured(String export, boolean meta) throws IOException {
        RawClient c = greet();
        assertThat(c.option(OPT_STRUCTURED_REPLY, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
        if (meta) {
            assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest(export, BASE_ALLOCATION))
                    .getLast().type()).isEqualTo(REP_ACK);
        }
        assertThat(c.go(export, INFO_BLOCK_SIZE).getLast().type()).isEqualTo(REP_ACK);
        return c;
    }

    private static RawClient.OptReply info(List<RawClient.OptReply> replies, int type) {
        return replies.stream().filter(r -> r.type() == REP_INFO && r.infoType() == type).findFirst().orElse(null);
    }

    private static int transmissionFlags(List<RawClient.OptReply> replies) {
        return info(replies, INFO_EXPORT).buffer().getShort(10) & 0xffff;
    }

    /** The server hangs up (bounded by the class's timeout). */
    private static boolean closedWithin(RawClient c) throws IOException {
        return c.serverClosed();
    }

    /**
     * Reads one structured reply and checks what every reply must satisfy (proto.md "Structured reply chunk
     * message", "Structured reply flags", "Structured reply types"): the cookie in every chunk, DONE set on the last
     * chunk only and no other flag, NONE empty and final, error chunks well formed (nonzero error, message within
     * the chunk and at most 4096 bytes, ERROR_OFFSET's offset within the request), content chunks of at least one
     * byte lying within [offset, offset + length) and not overlapping; a simple reply (allowed for every command
     * but READ: see {@link #checkedRead}) only alone and only for a success, as the spec prefers errors structured.
     * Returns the chunks.
     */
    private static List<RawClient.Chunk> checkedReply(RawClient c, long cookie, long offset, long length)
            throws IOException {
        List<RawClient.Chunk> chunks = c.readStructuredReply();
        BitSet covered = new BitSet();
        for (int i = 0; i < chunks.size(); i++) {
            RawClient.Chunk ch = chunks.get(i);
            ByteBuffer b = ch.buffer();
            assertThat(ch.handle()).as("cookie").isEqualTo(cookie);
            assertThat(ch.flags() & ~REPLY_FLAG_DONE).as("reply flags").isZero();
            assertThat(ch.done()).as("DONE on the last chunk only").isEqualTo(i == chunks.size() - 1);
            if (ch.simple()) {
                assertThat(chunks).as("a simple reply is the whole reply").hasSize(1);
                assertThat(ch.type()).as("errors go structured").isEqualTo(REPLY_TYPE_NONE);
            }
            switch (ch.type()) {
                case REPLY_TYPE_NONE -> assertThat(ch.data()).isEmpty();
                case REPLY_TYPE_ERROR, REPLY_TYPE_ERROR_OFFSET -> {
                    int fixed = ch.type() == REPLY_TYPE_ERROR ? 6 : 14;
                    assertThat(ch.data().length).isGreaterThanOrEqualTo(fixed);
                    assertThat(ch.error()).as("error value").isNotZero();
                    int msg = b.getShort(4) & 0xffff;
                    assertThat(msg).isLessThanOrEqualTo(Math.min(MAX_STRING, ch.data().length - fixed));
                    assertThat(ch.data().length).isEqualTo(fixed + msg);
                    if (ch.type() == REPLY_TYPE_ERROR_OFFSET) {
                        long at = b.getLong(6 + msg);
                        assertThat(at).as("error offset within the request").isBetween(offset, offset + length - 1);
                    }
                }
                case REPLY_TYPE_OFFSET_DATA, REPLY_TYPE_OFFSET_HOLE -> {
                    long at = b.getLong(0);
                    long len;
                    if (ch.type() == REPLY_TYPE_OFFSET_DATA) {
                        assertThat(ch.data().length).isGreaterThanOrEqualTo(9);
                        len = ch.data().length - 8;
                        assertThat(len).as("no longer than the maximum payload").isLessThanOrEqualTo(MAX_PAYLOAD);
                    } else {
                        assertThat(ch.data()).hasSize(12);
                        len = b.getInt(8) & 0xffffffffL;
                        assertThat(len).as("hole size").isPositive();
                    }
                    assertThat(at).isGreaterThanOrEqualTo(offset);
                    assertThat(at + len).isLessThanOrEqualTo(offset + length);
                    int from = (int) (at - offset);
                    assertThat(covered.get(from, from + (int) len).isEmpty()).as("chunks overlap").isTrue();
                    covered.set(from, from + (int) len);
                }
                case REPLY_TYPE_BLOCK_STATUS -> assertThat(ch.data().length).isGreaterThanOrEqualTo(12);
                default -> throw new AssertionError("unknown chunk type " + ch.type());
            }
        }
        return chunks;
    }

    /** The error of a checked structured reply: its first error chunk's, or 0. */
    private static int structuredError(RawClient c, long cookie, long offset, long length) throws IOException {
        for (RawClient.Chunk ch : checkedReply(c, cookie, offset, length)) {
            if ((ch.type() & (1 << 15)) != 0) {
                return ch.error();
            }
        }
        return 0;
    }

    /** A structured READ: checked as above, successful, covering the whole range; returns the bytes it reads. */
    private static byte[] checkedRead(RawClient c, int flags, long offset, int length) throws IOException {
        c.request(flags, CMD_READ, 0x5eed, offset, length, null);
        List<RawClient.Chunk> chunks = checkedReply(c, 0x5eed, offset, length);
        byte[] out = new byte[length];
        long covered = 0;
        int content = 0;
        for (RawClient.Chunk ch : chunks) {
            assertThat(ch.simple()).as("a READ's reply is structured").isFalse();
            assertThat(ch.type() & (1 << 15)).as("error chunk in a read that should succeed").isZero();
            ByteBuffer b = ch.buffer();
            if (ch.type() == REPLY_TYPE_OFFSET_DATA) {
                content++;
                System.arraycopy(ch.data(), 8, out, (int) (b.getLong(0) - offset), ch.data().length - 8);
                covered += ch.data().length - 8;
            } else if (ch.type() == REPLY_TYPE_OFFSET_HOLE) {
                content++;
                covered += b.getInt(8) & 0xffffffffL;
            }
        }
        assertThat(covered).as("the reply covers the request").isEqualTo(length);
        if ((flags & CMD_FLAG_DF) != 0) {
            assertThat(content).as("DF: one content chunk").isEqualTo(1);
            assertThat(chunks.getFirst().type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
        }
        return out;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ---- handshake -----------------------------------------------------------------------------------------

    /**
     * H1, "Oldstyle negotiation": "starting with version 3.10 of the reference implementation, it is also no longer
     * supported"; "The server SHOULD refuse to allow oldstyle negotiations on the newstyle port." The greeting is
     * newstyle: IHAVEOPT where oldstyle would send cliserv_magic and the export size.
     */
    @Test
    void oldstyleIsNotSpokenTheGreetingIsNewstyle() throws IOException {
        try (RawClient c = RawClient.connect(sock)) {
            assertThat(c.in.readLong()).isEqualTo(NBDMAGIC);
            long second = c.in.readLong();
            assertThat(second).isEqualTo(IHAVEOPT).isNotEqualTo(0x00420281861253L);
        }
    }

    /**
     * H2, "Handshake flags": "NBD_FLAG_FIXED_NEWSTYLE; MUST be set by servers that support the fixed newstyle
     * protocol"; "The server MUST NOT set any other flags".
     */
    @Test
    void handshakeFlagsAreFixedNewstyleAndNoZeroesOnly() throws IOException {
        try (RawClient c = greet()) {
            assertThat(c.handshakeFlags).isEqualTo(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        }
    }

    /**
     * H3, "Newstyle negotiation": "the server MUST close the TCP connection if it does not recognize the client's
     * flags"; "Client flags": "the server MUST drop the TCP connection if the client sets an unknown flag".
     */
    @Test
    void unknownClientFlagsDropTheConnection() throws IOException {
        for (int bit : new int[] {2, 3, 8, 16, 31}) {
            try (RawClient c = RawClient.connect(sock).greet(FLAG_C_FIXED_NEWSTYLE | 1 << bit)) {
                assertThat(closedWithin(c)).as("bit %d", bit).isTrue();
            }
        }
    }

    /**
     * H5, "NBD_OPT_EXPORT_NAME": "If the chosen export does not exist or requirements for the chosen export are not
     * met ..., the server MUST terminate the session." Unknown name, a name over the 4096-byte string limit, a name
     * with NUL.
     */
    @Test
    void exportNameThatCannotBeServedTerminatesTheSession() throws IOException {
        byte[][] names = {"nope".getBytes(StandardCharsets.UTF_8), "n".repeat(MAX_STRING + 1).getBytes(
                StandardCharsets.UTF_8), "di\0sk".getBytes(StandardCharsets.UTF_8)};
        for (byte[] name : names) {
            try (RawClient c = greet()) {
                c.sendOption(OPT_EXPORT_NAME, name);
                assertThat(closedWithin(c)).isTrue();
            }
        }
    }

    /**
     * H7, "Fixed newstyle negotiation": "The server will reply to any option apart from NBD_OPT_EXPORT_NAME with
     * reply packets in the following format: 64 bits, 0x3e889045565a9 ... 32 bits, the option as sent by the
     * client to which this is a reply".
     */
    @Test
    void everyOptionReplyEchoesTheOptionUnderTheReplyMagic() throws IOException {
        try (RawClient c = greet()) {
            int[] options = {OPT_LIST, 4, OPT_STARTTLS, OPT_INFO, OPT_STRUCTURED_REPLY, OPT_LIST_META_CONTEXT,
                OPT_SET_META_CONTEXT, 11, 12, 0x12345678, 0};
            for (int option : options) {
                byte[] data = option == OPT_INFO ? RawClient.infoRequest("disk")
                        : option == OPT_LIST_META_CONTEXT || option == OPT_SET_META_CONTEXT
                        ? RawClient.metaContextRequest("disk") : new byte[0];
                for (RawClient.OptReply r : c.option(option, data)) { // readOptReply checks the magic
                    assertThat(r.option()).as("reply to option %d", option).isEqualTo(option);
                }
            }
        }
    }

    /**
     * H8 and H32, "Baseline": "Servers that receive messages which they do not implement MUST reply to them with
     * NBD_REP_ERR_UNSUP, and MUST NOT fail to parse the next message received." Among them
     * NBD_OPT_PEEK_EXPORT (4, withdrawn) and unassigned numbers, with data of various lengths.
     */
    @Test
    void unimplementedOptionsGetErrUnsupAndTheNextOptionIsParsed() throws IOException {
        try (RawClient c = greet()) {
            for (int option : new int[] {0, 4, 13, 14, 0x7fffffff, 0xffffffff}) {
                for (int length : new int[] {0, 1, 100, MAX_STRING + 1}) {
                    List<RawClient.OptReply> r = c.option(option, random(length, option + length));
                    assertThat(r).hasSize(1);
                    assertThat(r.getFirst().type()).as("option %d", option).isEqualTo(REP_ERR_UNSUP);
                }
            }
            // Nothing was negotiated by them: replies keep the 16-byte simple form.
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.read(0, 512)).hasSize(512);
        }
    }

    /**
     * H10, "Termination of the session during option haggling": "In the server's case it MUST (save where set out
     * above) simply error inbound options until the client gets the hint that it is unwelcome". A run of refused
     * options of every kind leaves the haggling open.
     */
    @Test
    void erroredOptionsNeverEndTheHaggling() throws IOException {
        try (RawClient c = greet()) {
            for (int i = 0; i < 30; i++) {
                assertThat(c.go("nope" + i).getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
                assertThat(c.option(OPT_GO, new byte[3]).getLast().type()).isEqualTo(REP_ERR_INVALID);
                assertThat(c.option(OPT_LIST, new byte[1]).getLast().type()).isEqualTo(REP_ERR_INVALID);
                assertThat(c.option(OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(REP_ERR_POLICY);
                assertThat(c.option(99, new byte[0]).getLast().type()).isEqualTo(REP_ERR_UNSUP);
            }
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    /**
     * H11, "NBD_OPT_ABORT": "The server MUST reply with NBD_REP_ACK"; "a server SHOULD ignore any data sent by the
     * client rather than rejecting the request as invalid" — also data beyond the longest option jdm reads.
     */
    @Test
    void abortIsAcknowledgedAndItsDataIgnored() throws IOException {
        for (int length : new int[] {0, 10, MAX_OPTION + 1}) {
            try (RawClient c = greet()) {
                List<RawClient.OptReply> r = c.option(OPT_ABORT, new byte[length]);
                assertThat(r).hasSize(1);
                assertThat(r.getFirst().type()).as("%d bytes of data", length).isEqualTo(REP_ACK);
                assertThat(r.getFirst().data()).isEmpty();
                assertThat(closedWithin(c)).isTrue();
            }
        }
    }

    /**
     * H12, "NBD_OPT_ABORT": "the server SHOULD gracefully handle the client sending an NBD_OPT_ABORT and closing the
     * connection without waiting for a reply."
     */
    @Test
    void aClientThatAbortsAndHangsUpIsHandledGracefully() throws Exception {
        try (RawClient good = RawClient.connect(sock).open("disk")) {
            for (int i = 0; i < 20; i++) {
                try (RawClient c = greet()) {
                    c.sendOption(OPT_ABORT, new byte[0]);
                }
            }
            assertThat(good.write(0, new byte[512])).isZero();
            for (int i = 0; i < 500 && server.connectionCount() > 1; i++) {
                Thread.sleep(10);
            }
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    /**
     * H14, "NOTLS mode": "If the server receives NBD_OPT_STARTTLS it MUST respond with NBD_REP_ERR_POLICY ...,
     * NBD_REP_ERR_UNSUP ... or another error explicitly permitted by this document. The server MUST NOT respond to
     * any option request with NBD_REP_ERR_TLS_REQD."
     */
    @Test
    void withoutTlsStartTlsIsRefusedAndTlsReqdNeverSent() throws IOException {
        try (RawClient c = greet()) {
            assertThat(c.option(OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(REP_ERR_POLICY);
            for (int option : new int[] {OPT_LIST, 4, OPT_INFO, OPT_STRUCTURED_REPLY, OPT_LIST_META_CONTEXT,
                OPT_SET_META_CONTEXT, 11, 99}) {
                for (byte[] data : new byte[][] {new byte[0], RawClient.infoRequest("disk"),
                    RawClient.infoRequest("nope"), RawClient.metaContextRequest("disk", BASE_ALLOCATION)}) {
                    assertThat(c.option(option, data)).noneMatch(r -> r.type() == REP_ERR_TLS_REQD);
                }
            }
            assertThat(c.go("nope").getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
        }
    }

    /**
     * H15, "NBD_OPT_INFO and NBD_OPT_GO": "NBD_REP_ACK: ... In this case, the server MUST send at least one
     * NBD_REP_INFO, with an NBD_INFO_EXPORT information type"; "NBD_INFO_EXPORT ... length MUST be 12". Also when
     * the client asks for nothing.
     */
    @Test
    void infoAndGoSendATwelveByteInfoExportBeforeTheirAck() throws IOException {
        try (RawClient c = greet()) {
            for (int option : new int[] {OPT_INFO, OPT_GO}) {
                List<RawClient.OptReply> r = c.option(option, RawClient.infoRequest("disk"));
                assertThat(r.getLast().type()).isEqualTo(REP_ACK);
                RawClient.OptReply export = info(r, INFO_EXPORT);
                assertThat(export).isNotNull();
                assertThat(r.indexOf(export)).isLessThan(r.size() - 1);
                assertThat(export.data()).hasSize(12);
                assertThat(export.buffer().getLong(2)).isEqualTo(SIZE);
            }
        }
    }

    /** H16, "NBD_OPT_INFO and NBD_OPT_GO": "The server MUST ignore any information requests it does not understand." */
    @Test
    void unknownInformationRequestsAreIgnored() throws IOException {
        try (RawClient c = greet()) {
            List<RawClient.OptReply> r = c.option(OPT_INFO, RawClient.infoRequest("disk", 4, 99, 0x7fff, 0xffff));
            assertThat(r.getLast().type()).isEqualTo(REP_ACK);
            assertThat(r).allSatisfy(x -> assertThat(x.type() == REP_ACK || x.infoType() <= INFO_BLOCK_SIZE).isTrue());
            assertThat(c.go("disk", 12, INFO_NAME, 13).getLast().type()).isEqualTo(REP_ACK);
        }
    }

    /**
     * H17, "NBD_OPT_INFO and NBD_OPT_GO": "NBD_REP_ERR_UNKNOWN: The chosen export does not exist on this server. In
     * this case, the server SHOULD NOT send NBD_REP_INFO replies."
     */
    @Test
    void anUnknownExportIsErrUnknownWithoutInfo() throws IOException {
        try (RawClient c = greet()) {
            for (int option : new int[] {OPT_INFO, OPT_GO}) {
                List<RawClient.OptReply> r = c.option(option, RawClient.infoRequest("nope", INFO_BLOCK_SIZE));
                assertThat(r).extracting(RawClient.OptReply::type).containsExactly(REP_ERR_UNKNOWN);
            }
        }
    }

    /**
     * H18, "NBD_OPT_INFO and NBD_OPT_GO": "If there are no intervening option requests between a successful
     * NBD_OPT_INFO ... and an NBD_OPT_GO with the same parameters ..., then the server MUST reply with the same set
     * of information".
     */
    @Test
    void goRepeatsTheInformationOfTheSameInfo() throws IOException {
        for (boolean structured : new boolean[] {false, true}) {
            try (RawClient c = greet()) {
                if (structured) {
                    c.option(OPT_STRUCTURED_REPLY, new byte[0]);
                }
                byte[] request = RawClient.infoRequest("disk", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE);
                Set<String> info = c.option(OPT_INFO, request).stream()
                        .map(r -> r.type() + ":" + HexFormat.of().formatHex(r.data())).collect(Collectors.toSet());
                Set<String> go = c.option(OPT_GO, request).stream()
                        .map(r -> r.type() + ":" + HexFormat.of().formatHex(r.data())).collect(Collectors.toSet());
                assertThat(go).isEqualTo(info);
            }
        }
    }

    /**
     * H19, "NBD_OPT_GO": "The server MUST NOT send any zero padding bytes after the NBD_REP_ACK data, whether or not
     * the client negotiated the NBD_FLAG_C_NO_ZEROES flag."
     */
    @Test
    void goSendsNoZeroPaddingAfterItsAck() throws IOException {
        for (int flags : new int[] {FLAG_C_FIXED_NEWSTYLE, FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES}) {
            try (RawClient c = RawClient.connect(sock).greet(flags)) {
                assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
                c.request(0, CMD_READ, 77, 0, 512, null);
                assertThat(c.readReply()).isEqualTo(new RawClient.Reply(0, 77)); // the next bytes are the reply
            }
        }
    }

    /**
     * H20, "NBD_REP_INFO": "NBD_INFO_EXPORT ... length MUST be 12"; "NBD_INFO_NAME ... The length MUST be at least
     * 2"; "NBD_INFO_DESCRIPTION ... The length MUST be at least 2"; "NBD_INFO_BLOCK_SIZE ... The length MUST be
     * 14"; "A particular information type SHOULD only appear once".
     */
    @Test
    void infoRepliesHaveTheLengthsTheirTypesDemand() throws IOException {
        try (RawClient c = greet()) {
            List<RawClient.OptReply> r = c.option(OPT_INFO,
                    RawClient.infoRequest("", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE));
            assertThat(info(r, INFO_EXPORT).data()).hasSize(12);
            assertThat(info(r, INFO_NAME).data()).hasSize(2 + 4);
            assertThat(info(r, INFO_DESCRIPTION).data()).hasSize(2 + "the test disk".length());
            assertThat(info(r, INFO_BLOCK_SIZE).data()).hasSize(14);
            List<Integer> types = r.stream().filter(x -> x.type() == REP_INFO).map(RawClient.OptReply::infoType)
                    .toList();
            assertThat(types).doesNotHaveDuplicates();
        }
    }

    /**
     * H21, "Size constraints": minimum block "MUST be a power of 2, MUST NOT be larger than 2^16"; preferred "MUST
     * be a power of 2 at least as large as the maximum of the minimum block size and 2^9"; maximum payload "MUST be
     * at least as large as the preferred block size"; "the advertised export size SHOULD be an integer multiple of
     * that block size".
     */
    @Test
    void blockSizesObeyThePowerOfTwoAndOrderingRules() throws IOException {
        try (RawClient c = greet()) {
            for (String name : exports.names()) {
                List<RawClient.OptReply> r = c.option(OPT_INFO, RawClient.infoRequest(name, INFO_BLOCK_SIZE));
                ByteBuffer b = info(r, INFO_BLOCK_SIZE).buffer();
                long min = b.getInt(2) & 0xffffffffL;
                long preferred = b.getInt(6) & 0xffffffffL;
                long max = b.getInt(10) & 0xffffffffL;
                assertThat(Long.bitCount(min)).as(name).isEqualTo(1);
                assertThat(min).isLessThanOrEqualTo(1 << 16);
                assertThat(Long.bitCount(preferred)).isEqualTo(1);
                assertThat(preferred).isGreaterThanOrEqualTo(Math.max(min, 512));
                assertThat(max).isGreaterThanOrEqualTo(preferred);
                assertThat(info(r, INFO_EXPORT).buffer().getLong(2) % min).isZero();
                if (name.equals("4k")) {
                    assertThat(min).isEqualTo(4096);
                }
            }
        }
    }

    /**
     * H22, "NBD_INFO_BLOCK_SIZE": "The server MUST send this info if it is requested and it intends to enforce size
     * constraints other than the defaults." jdm enforces a 512-byte (here 4 KiB) minimum.
     */
    @Test
    void blockSizeIsSentWhenRequested() throws IOException {
        try (RawClient c = greet()) {
            assertThat(info(c.option(OPT_INFO, RawClient.infoRequest("4k", INFO_BLOCK_SIZE)), INFO_BLOCK_SIZE))
                    .isNotNull();
            assertThat(info(c.go("4k", INFO_BLOCK_SIZE), INFO_BLOCK_SIZE).buffer().getInt(2)).isEqualTo(4096);
        }
    }

    /**
     * H23, "Size constraints": "When allowing clients that did not negotiate sizing via NBD, a server that enforces
     * stricter size constraints than the defaults MUST cleanly error commands that fall outside the constraints
     * without corrupting data". Both ways in without asking: NBD_OPT_EXPORT_NAME, and NBD_OPT_GO without
     * NBD_INFO_BLOCK_SIZE.
     */
    @Test
    void commandsOutsideTheConstraintsAreCleanlyErroredForClientsThatDidNotAsk() throws IOException {
        byte[] data = random(8192, 4);
        try (RawClient c = greet()) {
            c.sendOption(OPT_EXPORT_NAME, "4k".getBytes(StandardCharsets.UTF_8));
            c.in.readLong();
            c.in.readUnsignedShort();
            assertThat(c.write(0, data)).isZero();
            assertThat(c.write(512, new byte[512])).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.write(4096, new byte[1024])).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, CMD_WRITE_ZEROES, 1024, 4096)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, CMD_TRIM, 0, 512)).isEqualTo(NbdErrno.EINVAL);
            c.request(0, CMD_READ, 1, 512, 512, null);
            assertThat(c.readReply().error()).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.read(0, 8192)).isEqualTo(data);
        }
        try (RawClient c = greet()) {
            assertThat(c.go("4k").getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.write(512, new byte[512])).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.read(0, 8192)).isEqualTo(data);
        }
    }

    /**
     * H25, "Conventions": a string "MUST NOT contain NUL characters, SHOULD be no longer than 256 bytes and MUST be no
     * longer than 4096 bytes. This applies to export names and error messages". Every error reply jdm sends here is
     * valid UTF-8 without NUL and at most 256 bytes, even when it quotes a 4096-byte name; longer names are ERR_INVALID.
     */
    @Test
    void stringsAreUtf8WithoutNulAndAtMost4096Bytes() throws IOException {
        List<RawClient.OptReply> errors = new ArrayList<>();
        try (RawClient c = greet()) {
            errors.addAll(c.go("é".repeat(MAX_STRING / 2)));
            errors.addAll(c.go("n".repeat(MAX_STRING + 1)));
            errors.addAll(c.option(OPT_GO, new byte[5]));
            errors.addAll(c.option(OPT_LIST, new byte[5]));
            errors.addAll(c.option(OPT_STARTTLS, new byte[0]));
            errors.addAll(c.option(77, new byte[0]));
            errors.addAll(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("disk", BASE_ALLOCATION)));
            errors.addAll(c.option(OPT_INFO, new byte[MAX_OPTION + 1]));
            for (RawClient.OptReply r : c.option(OPT_LIST, new byte[0])) {
                if (r.type() == REP_SERVER) {
                    assertThat(r.buffer().getInt(0)).isLessThanOrEqualTo(Math.min(MAX_STRING, r.data().length - 4));
                }
            }
        }
        assertThat(errors.get(1).type()).isEqualTo(REP_ERR_INVALID); // a 4097-byte name
        for (RawClient.OptReply r : errors) {
            assertThat(r.type() & 0x80000000).isNotZero();
            assertThat(r.data().length).isLessThanOrEqualTo(256); // the SHOULD; the MUST is 4096
            assertThat(r.data()).doesNotContain((byte) 0);
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(r.data()));
            } catch (CharacterCodingException e) {
                throw new AssertionError("not UTF-8: " + r, e);
            }
        }
    }

    /**
     * H26, "NBD_OPT_STRUCTURED_REPLY": "NBD_REP_ACK: Structured replies have been negotiated; the server MUST use
     * structured replies to the NBD_CMD_READ transmission request."
     */
    @Test
    void structuredRepliesAreUsedOnceNegotiated() throws IOException {
        try (RawClient c = structured("disk", false)) {
            assertThat(checkedRead(c, 0, 0, 4096)).hasSize(4096);
        }
    }

    /**
     * H28, "NBD_OPT_LIST_META_CONTEXT": "If none of the query strings find any metadata contexts, the server MUST
     * send a single reply of type NBD_REP_ACK."
     */
    @Test
    void aMetaContextQueryMatchingNothingIsASingleAck() throws IOException {
        try (RawClient c = greet()) {
            c.option(OPT_STRUCTURED_REPLY, new byte[0]);
            for (int option : new int[] {OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT}) {
                List<RawClient.OptReply> r = c.option(option, RawClient.metaContextRequest("disk", "x-foo:bar",
                        "qemu:dirty-bitmap:b"));
                assertThat(r).extracting(RawClient.OptReply::type).containsExactly(REP_ACK);
            }
        }
    }

    /**
     * H29, "The base: metadata namespace": "base: - the server MUST ignore this form during
     * NBD_OPT_SET_META_CONTEXT, and MUST support this as a wildcard during NBD_OPT_LIST_META_CONTEXT"; "If a
     * [leaf-name] requested by the client is not recognized, the server MUST ignore it rather than report an
     * error."
     */
    @Test
    void theBaseWildcardListsButSelectsNothingAndUnknownLeavesAreIgnored() throws IOException {
        try (RawClient c = greet()) {
            c.option(OPT_STRUCTURED_REPLY, new byte[0]);
            List<RawClient.OptReply> list = c.option(OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("disk",
                    "base:"));
            assertThat(list).extracting(RawClient.OptReply::type).containsExactly(REP_META_CONTEXT, REP_ACK);
            assertThat(new String(list.getFirst().data(), 4, list.getFirst().data().length - 4,
                    StandardCharsets.UTF_8)).startsWith("base:").isEqualTo(BASE_ALLOCATION);
            assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("disk", "base:")))
                    .extracting(RawClient.OptReply::type).containsExactly(REP_ACK);
            for (int option : new int[] {OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT}) {
                assertThat(c.option(option, RawClient.metaContextRequest("disk", "base:nonesuch")))
                        .extracting(RawClient.OptReply::type).containsExactly(REP_ACK);
            }
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            c.request(0, CMD_BLOCK_STATUS, 5, 0, 4096, null); // "base:" selected nothing
            assertThat(structuredError(c, 5, 0, 4096)).isEqualTo(NbdErrno.EINVAL);
        }
    }

    /**
     * H30, "NBD_OPT_SET_META_CONTEXT": "Issuing this command replaces all previously-set metadata contexts
     * (including when this command fails)"; "If zero queries are sent, the server MUST select no metadata
     * contexts."
     */
    @Test
    void setMetaContextReplacesTheSelectionEvenWhenItFails() throws IOException {
        byte[] malformed = RawClient.metaContextRequest("disk", BASE_ALLOCATION);
        ByteBuffer.wrap(malformed).putInt(malformed.length - 4 - BASE_ALLOCATION.length(), 9999);
        for (byte[] second : new byte[][] {malformed, RawClient.metaContextRequest("nope", BASE_ALLOCATION),
            RawClient.metaContextRequest("disk")}) {
            try (RawClient c = greet()) {
                c.option(OPT_STRUCTURED_REPLY, new byte[0]);
                assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("disk", BASE_ALLOCATION))
                        .getFirst().type()).isEqualTo(REP_META_CONTEXT);
                c.option(OPT_SET_META_CONTEXT, second);
                assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
                c.request(0, CMD_BLOCK_STATUS, 6, 0, 4096, null);
                assertThat(structuredError(c, 6, 0, 4096)).isEqualTo(NbdErrno.EINVAL);
            }
        }
    }

    /**
     * H33, "Termination of the session during option haggling": "If the server is in the process of being shut down
     * it ... SHOULD error further options received (other than an NBD_OPT_ABORT) with NBD_REP_ERR_SHUTDOWN."
     */
    @Test
    void serverShutdownAnswersFurtherOptionsWithErrShutdown() throws Exception {
        try (RawClient c = greet()) {
            assertThat(c.option(OPT_LIST, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            Thread closer = Thread.ofPlatform().start(server::close);
            Thread.sleep(100);
            for (byte[] go : new byte[][] {RawClient.infoRequest("disk"), RawClient.infoRequest("nope")}) {
                List<RawClient.OptReply> r = c.option(OPT_GO, go);
                assertThat(r).extracting(RawClient.OptReply::type).containsExactly(REP_ERR_SHUTDOWN);
            }
            assertThat(c.option(OPT_LIST, new byte[0])).extracting(RawClient.OptReply::type)
                    .containsExactly(REP_ERR_SHUTDOWN);
            // The client must now soft-disconnect: ABORT is still acknowledged.
            assertThat(c.option(OPT_ABORT, new byte[0])).extracting(RawClient.OptReply::type)
                    .containsExactly(REP_ACK);
            assertThat(closedWithin(c)).isTrue();
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
        }
    }

    // ---- TLS -----------------------------------------------------------------------------------------------

    private NbdServer tlsServer(TlsConfig.Mode mode, Path socket) throws IOException {
        Path psk = dir.resolve("keys.psk");
        Files.writeString(psk, "alice:" + HexFormat.of().formatHex(PSK) + "\n");
        return new NbdServer(exports).listenUnix(socket).tls(TlsConfig.psk(mode, psk)).start();
    }

    /** NBD_OPT_STARTTLS, its ACK, then a TLS 1.2 handshake with the PSK; every later byte goes over TLS. */
    private static RawClient startTls(RawClient c) throws IOException {
        return startTls(c, c.socketOut());
    }

    private static RawClient startTls(RawClient c, java.io.OutputStream socketOut) throws IOException {
        List<RawClient.OptReply> r = c.option(OPT_STARTTLS, new byte[0]);
        assertThat(r).extracting(RawClient.OptReply::type).containsExactly(REP_ACK);
        TlsClientProtocol tls = new TlsClientProtocol(c.socketIn(), socketOut);
        tls.connect(new PSKTlsClient(new BcTlsCrypto(new SecureRandom()), new BasicTlsPSKIdentity("alice", PSK)) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv12.only(); // the version the spec makes mandatory
            }
        });
        c.useTls(tls.getInputStream(), tls.getOutputStream());
        return c;
    }

    /**
     * T1, "FORCEDTLS mode": "If the server receives any other option, including NBD_OPT_INFO and unsupported
     * options, it MUST reply with NBD_REP_ERR_TLS_REQD if TLS has not been initiated"; "If the server receives a
     * request to enter transmission mode via NBD_OPT_GO when TLS has not been initiated, it MUST error with
     * NBD_REP_ERR_TLS_REQD"; "a FORCEDTLS server MUST NOT send NBD_REP_INFO replies". Oversized options too.
     */
    @Test
    void forcedTlsRefusesEveryOptionButStartTlsAndAbortWithTlsReqd() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = RawClient.connect(s).greet()) {
            Object[][] options = {{OPT_LIST, new byte[0]}, {4, new byte[0]}, {OPT_INFO, RawClient.infoRequest("disk")},
                {OPT_GO, RawClient.infoRequest("disk", INFO_BLOCK_SIZE)}, {OPT_STRUCTURED_REPLY, new byte[0]},
                {OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("disk")},
                {OPT_SET_META_CONTEXT, RawClient.metaContextRequest("disk", BASE_ALLOCATION)}, {11, new byte[0]},
                {99, new byte[7]}, {OPT_INFO, new byte[MAX_OPTION + 1]}, {OPT_GO, RawClient.infoRequest("nope")}};
            for (Object[] o : options) {
                List<RawClient.OptReply> r = c.option((int) o[0], (byte[]) o[1]);
                assertThat(r).as("option %d", o[0]).extracting(RawClient.OptReply::type)
                        .containsExactly(REP_ERR_TLS_REQD);
            }
            startTls(c);
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    /**
     * T2, "FORCEDTLS mode": "If the server receives a request to enter transmission mode via NBD_OPT_EXPORT_NAME when
     * TLS has not been initiated, then as this request cannot error, it MUST terminate the session."
     */
    @Test
    void forcedTlsEndsTheSessionOnExportNameBeforeTls() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = RawClient.connect(s).greet()) {
            c.sendOption(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertThat(closedWithin(c)).isTrue();
        }
    }

    /**
     * T3, "FORCEDTLS": the server errors "any NBD options other than NBD_OPT_STARTTLS or NBD_OPT_ABORT";
     * "NBD_OPT_ABORT ... The server MUST reply with NBD_REP_ACK."
     */
    @Test
    void forcedTlsAcknowledgesAbortBeforeTls() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = RawClient.connect(s).greet()) {
            assertThat(c.option(OPT_ABORT, new byte[0])).extracting(RawClient.OptReply::type)
                    .containsExactly(REP_ACK);
            assertThat(closedWithin(c)).isTrue();
        }
    }

    /**
     * T4, "FORCEDTLS mode": "If the server receives NBD_OPT_STARTTLS prior to negotiating TLS, it MUST reply with
     * NBD_REP_ACK"; "After an NBD_REP_ACK reply has been sent, the server MUST be prepared for a TLS handshake, and
     * all further data MUST be sent and received over TLS"; "TLS versions": "NBD implementations supporting TLS MUST
     * support TLS version 1.2".
     */
    @Test
    void startTlsIsAckedAndEveryLaterByteIsTls() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = startTls(RawClient.connect(s)
                .greet())) {
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            byte[] data = random(65536, 5);
            assertThat(c.write(4096, data)).isZero();
            assertThat(c.read(4096, 65536)).isEqualTo(data);
        }
    }

    /**
     * T5, "FORCEDTLS mode" / "SELECTIVETLS mode": "If the server receives NBD_OPT_STARTTLS when TLS has already been
     * negotiated, it MUST reply with NBD_REP_ERR_INVALID."
     */
    @Test
    void aSecondStartTlsIsInvalid() throws IOException {
        for (TlsConfig.Mode mode : new TlsConfig.Mode[] {TlsConfig.Mode.REQUIRE, TlsConfig.Mode.ON}) {
            Path s = dir.resolve(mode + ".sock");
            try (NbdServer tls = tlsServer(mode, s); RawClient c = startTls(RawClient.connect(s).greet())) {
                assertThat(c.option(OPT_STARTTLS, new byte[0])).extracting(RawClient.OptReply::type)
                        .containsExactly(REP_ERR_INVALID);
                assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            }
        }
    }

    /**
     * T6, "FORCEDTLS mode": "The server MUST NOT send NBD_REP_ERR_TLS_REQD in reply to any option if TLS has already
     * been initiated."
     */
    @Test
    void noTlsReqdOnceTlsIsUp() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = startTls(RawClient.connect(s)
                .greet())) {
            for (int option : new int[] {OPT_LIST, 4, OPT_STARTTLS, OPT_INFO, OPT_STRUCTURED_REPLY,
                OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT, 11, 99}) {
                byte[] data = option == OPT_INFO ? RawClient.infoRequest("nope")
                        : option >= OPT_LIST_META_CONTEXT && option <= OPT_SET_META_CONTEXT
                        ? RawClient.metaContextRequest("disk", BASE_ALLOCATION) : new byte[0];
                assertThat(c.option(option, data)).noneMatch(r -> r.type() == REP_ERR_TLS_REQD);
            }
        }
    }

    /**
     * T7, "NBD_OPT_STARTTLS": "When this command succeeds, the server MUST NOT preserve any negotiation state (such as
     * a request for NBD_OPT_STRUCTURED_REPLY, or metadata contexts from NBD_OPT_SET_META_CONTEXT) issued before this
     * command."
     */
    @Test
    void startTlsForgetsWhatWasNegotiatedBefore() throws IOException {
        Path s = dir.resolve("on.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.ON, s); RawClient c = RawClient.connect(s).greet()) {
            assertThat(c.option(OPT_STRUCTURED_REPLY, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("disk", BASE_ALLOCATION))
                    .getLast().type()).isEqualTo(REP_ACK);
            startTls(c);
            List<RawClient.OptReply> r = c.go("disk");
            assertThat(transmissionFlags(r) & FLAG_SEND_DF).as("DF needs structured replies again").isZero();
            c.request(0, CMD_READ, 9, 0, 512, null);
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(0, 9)); // a simple reply
            c.readBytes(512);
        }
    }

    /**
     * T8, "FORCEDTLS mode": "If the handshake is unsuccessful (for instance the client's certificate does not match)
     * the server MUST terminate the session as by this stage it is too late to continue without TLS". A wrong key
     * and plain bytes where the TLS handshake belongs.
     */
    @Test
    void aFailedTlsHandshakeEndsTheSession() throws Exception {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s)) {
            try (RawClient c = RawClient.connect(s).greet()) {
                assertThat(c.option(OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
                c.sendOption(OPT_LIST, new byte[0]); // plaintext after the ACK
                assertThat(closedWithin(c)).isTrue();
            }
            try (RawClient c = RawClient.connect(s).greet()) {
                assertThat(c.option(OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
                TlsClientProtocol p = new TlsClientProtocol(c.socketIn(), c.socketOut());
                byte[] wrong = PSK.clone();
                wrong[0] ^= 1;
                try {
                    p.connect(new PSKTlsClient(new BcTlsCrypto(new SecureRandom()),
                            new BasicTlsPSKIdentity("alice", wrong)));
                    throw new AssertionError("TLS with a wrong key succeeded");
                } catch (IOException expected) {
                    // the server's Finished does not verify, or it sent an alert: either way it ends
                }
            }
            for (int i = 0; i < 500 && tls.connectionCount() != 0; i++) {
                Thread.sleep(10);
            }
            assertThat(tls.connectionCount()).isZero();
        }
    }

    /**
     * T9, "SELECTIVETLS mode": "The server MUST NOT send NBD_REP_ERR_TLS_REQD in response to any option other than
     * NBD_OPT_INFO, NBD_OPT_GO and NBD_OPT_EXPORT_NAME, and only in those cases in respect of a TLS-only or
     * non-existent export." With --tls=on no export is TLS-only: plaintext clients are served, STARTTLS is
     * acknowledged.
     */
    @Test
    void selectiveTlsOffersStartTlsAndNeverAnswersTlsReqd() throws IOException {
        Path s = dir.resolve("on.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.ON, s)) {
            try (RawClient c = RawClient.connect(s).greet()) {
                for (int option : new int[] {OPT_LIST, OPT_INFO, OPT_STRUCTURED_REPLY, OPT_LIST_META_CONTEXT, 99}) {
                    byte[] data = option == OPT_INFO ? RawClient.infoRequest("disk")
                            : option == OPT_LIST_META_CONTEXT ? RawClient.metaContextRequest("disk") : new byte[0];
                    assertThat(c.option(option, data)).noneMatch(r -> r.type() == REP_ERR_TLS_REQD);
                }
                assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
                assertThat(checkedRead(c, 0, 0, 512)).hasSize(512); // structured: negotiated above
            }
            try (RawClient c = startTls(RawClient.connect(s).greet())) {
                assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            }
        }
    }

    /**
     * T10, "Server-side requirements": "The server MUST operate in NOTLS mode unless the server set flag
     * NBD_FLAG_FIXED_NEWSTYLE and the client replied with NBD_FLAG_C_FIXED_NEWSTYLE". Under --tls=require a client
     * without fixed newstyle gets no ERR_TLS_REQD (it cannot read option replies anyway), and EXPORT_NAME, which
     * would need TLS, ends the session.
     */
    @Test
    void withoutFixedNewstyleTheServerIsInNotlsMode() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = RawClient.connect(s).greet(0)) {
            assertThat(c.option(OPT_LIST, new byte[0])).noneMatch(r -> r.type() == REP_ERR_TLS_REQD);
            assertThat(c.option(OPT_STARTTLS, new byte[0])).noneMatch(r -> r.type() == REP_ACK);
            c.sendOption(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertThat(closedWithin(c)).isTrue();
        }
    }

    /**
     * T11, "Terminating the transmission phase": "The client sends NBD_CMD_DISC whereupon the server MUST close down
     * the TLS session (if one is running) and then close the TCP connection." The client sees close_notify (a clean
     * end of the TLS stream), not a truncated one.
     */
    @Test
    void discOverTlsClosesTheTlsSessionThenTheConnection() throws IOException {
        Path s = dir.resolve("forced.sock");
        try (NbdServer tls = tlsServer(TlsConfig.Mode.REQUIRE, s); RawClient c = RawClient.connect(s).greet()) {
            // The client answers close_notify with its own, which may find the socket closed already: ignored.
            boolean[] closing = {false};
            startTls(c, new java.io.FilterOutputStream(c.socketOut()) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        out.write(b, off, len);
                    } catch (IOException e) {
                        if (!closing[0]) {
                            throw e;
                        }
                    }
                }
            });
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
            c.request(0, CMD_DISC, 1, 0, 0, null);
            closing[0] = true;
            // Without close_notify Bouncy Castle throws TlsNoCloseNotifyException here.
            assertThat(c.in.read()).as("close_notify: end of the TLS stream").isEqualTo(-1);
        }
    }

    // ---- transmission --------------------------------------------------------------------------------------

    /**
     * X1, "Simple reply message": "The simple reply message MUST be sent by the server in response to all requests if
     * structured replies have not been negotiated"; "Structured reply chunk message": "The server MUST NOT send
     * this reply type unless the client has successfully negotiated structured replies".
     */
    @Test
    void withoutStructuredRepliesEveryReplyIsSimple() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("disk")) {
            int[][] requests = {{CMD_READ, 4096}, {CMD_FLUSH, 0}, {CMD_TRIM, 4096}, {CMD_CACHE, 4096},
                {CMD_WRITE_ZEROES, 4096}, {CMD_BLOCK_STATUS, 4096}, {99, 0}, {CMD_READ, 100}};
            for (int[] r : requests) {
                c.request(0, r[0], 40 + r[0], 0, r[1], null);
                RawClient.Reply reply = c.readReply(); // checks the simple magic
                if (r[0] == CMD_READ && reply.error() == 0) {
                    c.readBytes(r[1]);
                }
            }
            assertThat(c.write(0, new byte[512])).isZero();
        }
    }

    private static final long[] COOKIES = {0, 1, 0x0123456789abcdefL, -1L, Long.MIN_VALUE, 0xfedcba9876543210L};

    /**
     * X2, "Transmission": "In each reply message (whether simple or structured), the server MUST use the same value
     * for cookie as was sent by the client in the corresponding request, treating the cookie as an opaque field."
     * Every kind of request, refused or not, simple and structured, including cookies in flight together.
     */
    @Test
    void everyReplyCarriesTheRequestsCookie() throws IOException {
        for (boolean structured : new boolean[] {false, true}) {
            try (RawClient c = structured ? structured("disk", true) : RawClient.connect(sock).open("disk")) {
                for (long cookie : COOKIES) {
                    int[][] requests = {{CMD_READ, 0, 4096}, {CMD_WRITE, 0, 4096}, {CMD_FLUSH, 0, 0},
                        {CMD_TRIM, 0, 4096}, {CMD_CACHE, 0, 4096}, {CMD_WRITE_ZEROES, 0, 4096},
                        {CMD_BLOCK_STATUS, 0, 4096}, {99, 0, 0}, {CMD_READ, 1, 512}, {CMD_WRITE, 1, 100},
                        {CMD_READ, CMD_FLAG_NO_HOLE, 512}};
                    for (int[] r : requests) {
                        int flags = r[1] == 1 ? 0 : r[1];
                        long offset = r[1] == 1 ? 100 : 0; // unaligned: refused by the reader
                        c.request(flags, r[0], cookie, offset, r[2], r[0] == CMD_WRITE ? new byte[r[2]] : null);
                        if (structured) {
                            checkedReply(c, cookie, offset, Math.max(1, r[2]));
                        } else {
                            RawClient.Reply reply = c.readReply();
                            assertThat(reply.handle()).isEqualTo(cookie);
                            if (r[0] == CMD_READ && reply.error() == 0) {
                                c.readBytes(r[2]);
                            }
                        }
                    }
                }
                // In flight together: each reply names its own request.
                for (long cookie : COOKIES) {
                    c.request(0, CMD_WRITE, cookie, 0, 512, new byte[512]);
                }
                List<Long> seen = new ArrayList<>();
                for (int i = 0; i < COOKIES.length; i++) {
                    seen.add(structured ? c.readChunk().handle() : c.readReply().handle()); // one chunk each
                }
                assertThat(seen).containsExactlyInAnyOrder(Arrays.stream(COOKIES).boxed().toArray(Long[]::new));
            }
        }
    }

    /**
     * X3, "Ordering of messages and writes": "All write commands ... that the server completes (i.e. replies to)
     * prior to processing a NBD_CMD_FLUSH MUST be written to non-volatile storage prior to replying to that
     * NBD_CMD_FLUSH"; "NBD_CMD_FLUSH": "The server MUST NOT send a successful reply header for this request before
     * all write requests for which a reply has already been sent to the client have reached permanent storage".
     * The export's disk caches writes; only a flush (which takes a moment) makes them durable.
     */
    @Test
    void aFlushRepliesOnlyOnceEarlierWritesAreDurable() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("cache")) {
            assertThat(c.write(0, random(4096, 1))).isZero();
            assertThat(c.command(0, CMD_WRITE_ZEROES, 8192, 4096)).isZero();
            assertThat(c.command(0, CMD_TRIM, 16384, 4096)).isZero();
            assertThat(cache.durable).isEmpty(); // acknowledged, still only in the cache
            assertThat(c.command(0, CMD_FLUSH, 0, 0)).isZero();
            assertThat(cache.durable).containsAll(WriteCacheDisk.sectors(0, 8)).containsAll(
                    WriteCacheDisk.sectors(16, 8)).containsAll(WriteCacheDisk.sectors(32, 8));
        }
    }

    /**
     * X4, "Ordering of messages and writes": "A server MUST NOT reply to a command that has NBD_CMD_FLAG_FUA set in
     * its command flags until the data (if any) written by that command is persisted to non-volatile storage";
     * "NBD_CMD_WRITE": "The server MAY send the reply message before the data has reached permanent storage, unless
     * NBD_CMD_FLAG_FUA is in use."
     */
    @Test
    void fuaRepliesOnlyOnceTheDataIsDurable() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("cache")) {
            assertThat(c.write(CMD_FLAG_FUA, 0, random(4096, 2))).isZero();
            assertThat(cache.durable).containsAll(WriteCacheDisk.sectors(0, 8));
            assertThat(c.command(CMD_FLAG_FUA, CMD_WRITE_ZEROES, 8192, 4096)).isZero();
            assertThat(cache.durable).containsAll(WriteCacheDisk.sectors(16, 8));
            assertThat(c.command(CMD_FLAG_FUA, CMD_TRIM, 16384, 4096)).isZero();
            assertThat(cache.durable).containsAll(WriteCacheDisk.sectors(32, 8));
        }
    }

    /**
     * X5, "Command flags": "NBD_CMD_FLAG_FUA; This flag is valid for all commands, provided NBD_FLAG_SEND_FUA has
     * been negotiated, in which case the server MUST accept all commands with this bit set (even by ignoring the
     * bit)."
     */
    @Test
    void fuaIsAcceptedOnEveryCommand() throws IOException {
        try (RawClient c = structured("disk", true)) {
            int[][] requests = {{CMD_READ, 4096}, {CMD_WRITE, 4096}, {CMD_FLUSH, 0}, {CMD_TRIM, 4096},
                {CMD_CACHE, 4096}, {CMD_WRITE_ZEROES, 4096}, {CMD_BLOCK_STATUS, 4096}};
            for (int[] r : requests) {
                c.request(CMD_FLAG_FUA, r[0], r[0], 0, r[1], r[0] == CMD_WRITE ? new byte[r[1]] : null);
                assertThat(structuredError(c, r[0], 0, Math.max(1, r[1]))).as("command %d", r[0]).isZero();
            }
        }
    }

    /**
     * X11, "NBD_CMD_READ" (and WRITE, TRIM, WRITE_ZEROES, BLOCK_STATUS): "The client SHOULD NOT request a read length
     * of 0; the behavior of a server on such a request is unspecified although the server SHOULD NOT disconnect."
     */
    @Test
    void zeroLengthRequestsNeverDisconnect() throws IOException {
        for (boolean structured : new boolean[] {false, true}) {
            try (RawClient c = structured ? structured("disk", true) : RawClient.connect(sock).open("disk")) {
                for (int type : new int[] {CMD_READ, CMD_WRITE, CMD_TRIM, CMD_CACHE, CMD_WRITE_ZEROES,
                    CMD_BLOCK_STATUS}) {
                    c.request(0, type, type, 4096, 0, type == CMD_WRITE ? new byte[0] : null);
                    if (structured) {
                        checkedReply(c, type, 4096, 1);
                    } else {
                        assertThat(c.readReply().handle()).isEqualTo(type);
                    }
                }
                c.request(0, CMD_WRITE, 1, 0, 512, new byte[512]);
                assertThat(structured ? structuredError(c, 1, 0, 512) : c.readReply().error()).isZero();
            }
        }
    }

    /**
     * X13 and X16, "Structured reply chunk message": if structured replies are negotiated the server "MUST NOT use a
     * simple reply for NBD_CMD_READ (even for the case of an early NBD_EINVAL due to bad flags)";
     * "NBD_REPLY_TYPE_ERROR": "length MUST be at least 6", "error (MUST be nonzero)", "message length MUST NOT
     * exceed the 4096 bytes"; "NBD_REPLY_TYPE_ERROR_OFFSET": "length MUST be at least 14 ... offset, which MUST lie
     * within the original offset and length of the request".
     */
    @Test
    void everyReadErrorIsAStructuredErrorChunk() throws IOException {
        long[][] reads = {{CMD_FLAG_NO_HOLE, 0, 512}, {CMD_FLAG_REQ_ONE, 0, 512}, {1 << 9, 0, 512},
            {0, SIZE, 512}, {0, SIZE - 512, 1024}, {0, 100, 512}, {0, 0, MAX_PAYLOAD + 512L}, {0, -512, 1024}};
        try (RawClient c = structured("disk", false)) {
            for (long[] r : reads) {
                c.request((int) r[0], CMD_READ, 3, r[1], r[2], null);
                assertThat(structuredError(c, 3, r[1], r[2])).as("read %s", Arrays.toString(r))
                        .isEqualTo(NbdErrno.EINVAL);
            }
        }
        try (RawClient c = structured("failing", false)) {
            for (long offset : new long[] {0, 4096, 1024 * 512 - 4096}) {
                c.request(0, CMD_READ, 4, offset, 4096, null);
                assertThat(structuredError(c, 4, offset, 4096)).isEqualTo(NbdErrno.EIO);
            }
        }
    }

    /**
     * X14 and X15, "NBD_CMD_READ" (structured replies): "each chunk MUST describe at least one byte"; "MUST NOT send
     * content chunks that overlap with any earlier content or error chunk, and MUST NOT send chunks that describe
     * data outside the offset and length of the request"; "When no error is detected, the server MUST send enough
     * data chunks to cover the entire region"; the DONE chunk "MUST be sent last"; "NBD_REPLY_TYPE_OFFSET_HOLE ...
     * length MUST be exactly 12 ... hole size (MUST be nonzero)"; "A server MUST NOT send a chunk where any
     * variable-length portion of the chunk is larger than any advertised maximum payload size"; DF: "the server MUST
     * send at most one content chunk"; "If the area being read contains both data and a hole, the server MUST use
     * NBD_REPLY_TYPE_OFFSET_DATA with the zeroes explicitly present". Random reads over a sparse file, with and
     * without DF, checked chunk by chunk and against the file's bytes.
     */
    @Test
    void structuredReadsCoverTheRequestWithNonOverlappingChunksDoneLast() throws IOException {
        Random rnd = new Random(42);
        try (RawClient c = structured("sparse", false)) {
            List<long[]> reads = new ArrayList<>(List.of(new long[] {0, SIZE / 2}, new long[] {SIZE / 2, SIZE / 2},
                    new long[] {MIB - 65536, 65536 * 3}, new long[] {3L * MIB, 65536}));
            for (int i = 0; i < 40; i++) {
                int length = (1 + rnd.nextInt(8192)) * 512;
                reads.add(new long[] {(long) rnd.nextInt((int) ((SIZE - length) / 512 + 1)) * 512, length});
            }
            for (long[] r : reads) {
                for (int flags : new int[] {0, CMD_FLAG_DF}) {
                    byte[] got = checkedRead(c, flags, r[0], (int) r[1]);
                    assertThat(Arrays.equals(got, 0, got.length, image, (int) r[0], (int) (r[0] + r[1])))
                            .as("bytes of %d+%d", r[0], r[1]).isTrue();
                }
            }
        }
    }

    /**
     * X17, "NBD_CMD_BLOCK_STATUS" and "NBD_REPLY_TYPE_BLOCK_STATUS": "the server MUST use a structured reply,
     * containing exactly one chunk of type NBD_REPLY_TYPE_BLOCK_STATUS per selected context id"; "length MUST be 4 +
     * (a positive integer multiple of 8)"; descriptor length "MUST be nonzero"; "If the client used the
     * NBD_CMD_FLAG_REQ_ONE flag ... every reply chunk MUST contain exactly one descriptor, and that descriptor MUST
     * NOT exceed the length of the original request"; "the sum of the length fields of the first N-1 extents (if
     * any) MUST be less than the requested length"; "the server MUST return at least one status descriptor";
     * lengths SHOULD be multiples of 512; "NBD_STATE_ZERO ... the block contents read as all zeroes".
     */
    @Test
    void blockStatusRepliesFollowTheDescriptorRules() throws IOException {
        Random rnd = new Random(7);
        try (RawClient c = greet()) {
            c.option(OPT_STRUCTURED_REPLY, new byte[0]);
            List<RawClient.OptReply> set = c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("sparse",
                    BASE_ALLOCATION));
            int id = set.getFirst().buffer().getInt(0);
            assertThat(c.go("sparse").getLast().type()).isEqualTo(REP_ACK);
            for (int i = 0; i < 60; i++) {
                long length = (1 + rnd.nextInt(i < 30 ? 64 : 32768)) * 512L;
                long offset = (long) rnd.nextInt((int) ((SIZE - length) / 512 + 1)) * 512;
                int flags = i % 3 == 0 ? CMD_FLAG_REQ_ONE : 0;
                c.request(flags, CMD_BLOCK_STATUS, i, offset, length, null);
                List<RawClient.Chunk> r = checkedReply(c, i, offset, length);
                assertThat(r).hasSize(1);
                RawClient.Chunk s = r.getFirst();
                assertThat(s.type()).isEqualTo(REPLY_TYPE_BLOCK_STATUS);
                assertThat((s.data().length - 4) % 8).isZero();
                ByteBuffer b = s.buffer();
                assertThat(b.getInt()).isEqualTo(id);
                int n = b.remaining() / 8;
                assertThat(n).isPositive();
                if (flags != 0) {
                    assertThat(n).isEqualTo(1);
                }
                long at = offset;
                for (int k = 0; k < n; k++) {
                    long len = b.getInt() & 0xffffffffL;
                    int state = b.getInt();
                    assertThat(len).isPositive();
                    assertThat(len % 512).isZero();
                    assertThat(state & ~(STATE_HOLE | STATE_ZERO)).isZero();
                    if (k < n - 1 || flags != 0) {
                        assertThat(at + len - offset).isLessThanOrEqualTo(k < n - 1 ? length - 1 : length);
                    }
                    if ((state & STATE_ZERO) != 0) {
                        int end = (int) Math.min(SIZE, at + len);
                        assertThat(Arrays.equals(image, (int) at, end, new byte[end - (int) at], 0, end - (int) at))
                                .as("ZERO where data is, %d+%d", at, len).isTrue();
                    }
                    at += len;
                }
            }
        }
    }

    /**
     * X19, "NBD_CMD_CACHE": "if it advertised the command, the server MUST reject any command flags it does not
     * recognize"; "there MUST NOT be any difference in semantics compared to if the client had not used this
     * command."
     */
    @Test
    void cacheRejectsFlagsItDoesNotKnowAndChangesNoData() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("disk")) {
            byte[] data = random(8192, 8);
            assertThat(c.write(0, data)).isZero();
            for (int bit = 1; bit < 16; bit++) {
                assertThat(c.command(1 << bit, CMD_CACHE, 0, 8192)).as("flag bit %d", bit)
                        .isEqualTo(NbdErrno.EINVAL);
            }
            assertThat(c.command(0, CMD_CACHE, 0, 8192)).isZero();
            assertThat(c.command(CMD_FLAG_FUA, CMD_CACHE, 0, 8192)).isZero();
            assertThat(c.read(0, 8192)).isEqualTo(data);
            assertThat(c.write(0, data)).isZero();
        }
    }

    /**
     * X20, "NBD_CMD_WRITE_ZEROES": the server "MUST ensure that the data reads back as zero"; "NBD_CMD_FLAG_NO_HOLE
     * ... The server MUST support the use of this flag if it advertises NBD_FLAG_SEND_WRITE_ZEROES."
     */
    @Test
    void writeZeroesReadsBackAsZeroWithAndWithoutNoHole() throws IOException {
        for (String export : new String[] {"disk", "sparse"}) {
            try (RawClient c = RawClient.connect(sock).open(export)) {
                for (int flags : new int[] {0, CMD_FLAG_NO_HOLE, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE}) {
                    assertThat(c.write(MIB, random(65536, flags))).isZero();
                    assertThat(c.command(flags, CMD_WRITE_ZEROES, MIB + 4096, 32768)).isZero();
                    byte[] back = c.read(MIB, 65536);
                    assertThat(Arrays.equals(back, 4096, 4096 + 32768, new byte[32768], 0, 32768)).isTrue();
                    assertThat(Arrays.equals(back, 0, 4096, random(65536, flags), 0, 4096)).isTrue();
                }
            }
        }
    }

    /**
     * X21, "Transmission flags": NBD_FLAG_SEND_FAST_ZERO "MUST set this transmission flag to 0 if
     * NBD_FLAG_SEND_WRITE_ZEROES is not set"; "NBD_CMD_WRITE_ZEROES": "If the server advertised
     * NBD_FLAG_SEND_FAST_ZERO but NBD_CMD_FLAG_FAST_ZERO is not set, then the server MUST NOT fail with NBD_ENOTSUP";
     * with it, the server "MUST fail quickly with NBD_ENOTSUP unless the request can be serviced in less time than a
     * corresponding NBD_CMD_WRITE, and SHOULD NOT alter the contents of the export when returning an NBD_ENOTSUP
     * failure".
     */
    @Test
    void fastZeroIsOfferedOnlyWithWriteZeroesAndRefusedQuicklyWithoutChanges() throws IOException {
        try (RawClient c = greet()) {
            for (String name : exports.names()) {
                int flags = transmissionFlags(c.option(OPT_INFO, RawClient.infoRequest(name)));
                if ((flags & FLAG_SEND_WRITE_ZEROES) == 0) {
                    assertThat(flags & FLAG_SEND_FAST_ZERO).as(name).isZero();
                }
            }
        }
        try (RawClient c = RawClient.connect(sock).open("nozero")) {
            byte[] data = random(8192, 9);
            assertThat(c.write(0, data)).isZero();
            long t0 = System.nanoTime();
            assertThat(c.command(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 0, 8192)).isEqualTo(NbdErrno.ENOTSUP);
            assertThat(c.command(CMD_FLAG_FAST_ZERO | CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 0, 8192))
                    .isEqualTo(NbdErrno.ENOTSUP);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(5); // no fallback write
            assertThat(c.read(0, 8192)).isEqualTo(data);
            assertThat(c.command(0, CMD_WRITE_ZEROES, 0, 8192)).isNotEqualTo(NbdErrno.ENOTSUP);
            assertThat(noZero.seen()).filteredOn(s -> s.op() == Op.WRITE).hasSize(1); // ours: no fallback write
        }
    }

    /**
     * X22, "NBD_CMD_DISC": "The server MUST handle all outstanding requests, shut down the TLS session (if one is
     * running), and close the TCP session"; "There is no reply to an NBD_CMD_DISC."
     */
    @Test
    void discGetsNoReplyAndClosesTheConnection() throws IOException {
        for (boolean structured : new boolean[] {false, true}) {
            try (RawClient c = structured ? structured("disk", false) : RawClient.connect(sock).open("disk")) {
                c.request(0, CMD_WRITE, 1, 0, 4096, new byte[4096]);
                c.request(0, CMD_DISC, 2, 0, 0, null);
                if (structured) {
                    assertThat(structuredError(c, 1, 0, 4096)).isZero();
                } else {
                    assertThat(c.readReply()).isEqualTo(new RawClient.Reply(0, 1));
                }
                assertThat(c.in.read()).as("nothing after the outstanding replies").isEqualTo(-1);
            }
        }
    }

    /**
     * X23 and X28, "Error values": "The server SHOULD return NBD_EINVAL if it receives an unknown command"; "SHOULD
     * return NBD_EINVAL if it receives an unknown command flag. It also SHOULD return NBD_EINVAL if it receives a
     * request with a flag not explicitly documented as applicable to the given request"; and errors never end the
     * connection ("MUST NOT initiate any form of disconnect other than ..."). Every command with every one of the
     * 16 flag bits, on one connection: documented flags work, the others are EINVAL.
     */
    @Test
    void unknownCommandsAndMisplacedFlagsAreEinval() throws IOException {
        try (RawClient c = structured("disk", true)) {
            int[] commands = {CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_CACHE, CMD_WRITE_ZEROES, CMD_BLOCK_STATUS};
            long cookie = 0;
            for (int type : commands) {
                int documented = CMD_FLAG_FUA | switch (type) {
                    case CMD_READ -> CMD_FLAG_DF;
                    case CMD_WRITE_ZEROES -> CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO;
                    case CMD_BLOCK_STATUS -> CMD_FLAG_REQ_ONE;
                    default -> 0;
                };
                for (int bit = 0; bit < 16; bit++) {
                    int flag = 1 << bit;
                    int length = type == CMD_FLUSH ? 0 : 4096;
                    c.request(flag, type, ++cookie, 0, length, type == CMD_WRITE ? new byte[length] : null);
                    int error = structuredError(c, cookie, 0, Math.max(1, length));
                    if ((documented & flag) == 0) {
                        assertThat(error).as("command %d flag bit %d", type, bit).isEqualTo(NbdErrno.EINVAL);
                    } else if (flag == CMD_FLAG_FAST_ZERO) {
                        assertThat(error).isIn(0, NbdErrno.ENOTSUP);
                    } else {
                        assertThat(error).as("command %d flag bit %d", type, bit).isZero();
                    }
                }
            }
            for (int type : new int[] {8, 9, 100, 0xffff}) {
                c.request(0, type, ++cookie, 0, 0, null);
                assertThat(structuredError(c, cookie, 0, 1)).as("command %d", type).isEqualTo(NbdErrno.EINVAL);
            }
            assertThat(checkedRead(c, 0, 0, 512)).hasSize(512); // still the same connection
        }
    }

    /**
     * X24, "Transmission flags": "NBD_FLAG_HAS_FLAGS: MUST always be 1"; "The server MUST NOT set the flag for
     * features it does not support" (no ROTATIONAL claim, no RESIZE or BLOCK_STATUS_PAYLOAD of the experimental
     * extensions, nothing undefined); SEND_DF "MUST leave this flag clear if structured replies have not been
     * negotiated". For every export, through EXPORT_NAME, INFO and GO.
     */
    @Test
    void transmissionFlagsHaveHasFlagsAndOnlyFeaturesTheServerHas() throws IOException {
        int supported = FLAG_HAS_FLAGS | FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM
                | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_DF | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO;
        for (String name : exports.names()) {
            for (boolean structured : new boolean[] {false, true}) {
                try (RawClient c = greet()) {
                    if (structured) {
                        c.option(OPT_STRUCTURED_REPLY, new byte[0]);
                    }
                    int flags = transmissionFlags(c.option(OPT_INFO, RawClient.infoRequest(name)));
                    assertThat(flags & FLAG_HAS_FLAGS).isNotZero();
                    assertThat(flags & ~supported).as(name).isZero();
                    assertThat((flags & FLAG_SEND_DF) != 0).isEqualTo(structured);
                    assertThat((flags & FLAG_READ_ONLY) != 0).isEqualTo(name.equals("ro"));
                    c.sendOption(OPT_EXPORT_NAME, name.getBytes(StandardCharsets.UTF_8));
                    assertThat(c.in.readLong()).isPositive();
                    assertThat(c.in.readUnsignedShort()).as("EXPORT_NAME tells the same flags").isEqualTo(flags);
                }
            }
        }
    }

    /**
     * X25, "Error values": the error field carries one of the listed values (EPERM, EIO, ENOMEM, EINVAL, ENOSPC,
     * EOVERFLOW, ENOTSUP, ESHUTDOWN); "The server SHOULD NOT return NBD_ENOTSUP except as documented in response to
     * NBD_CMD_WRITE_ZEROES when NBD_CMD_FLAG_FAST_ZERO is supported"; EOVERFLOW only for DF or oversized requests
     * (jdm never sends it); ENOSPC for a device out of space. Every status a device can end a bio with maps onto
     * them.
     */
    @Test
    void deviceErrorsMapOntoTheSpecsErrorValues() {
        Set<Integer> allowed = Set.of(NbdErrno.EPERM, NbdErrno.EIO, NbdErrno.ENOMEM, NbdErrno.EINVAL,
                NbdErrno.ENOSPC, NbdErrno.ESHUTDOWN);
        for (BlkStatus s : BlkStatus.values()) {
            int e = NbdErrno.of(s);
            if (s == BlkStatus.OK) {
                assertThat(e).isZero();
            } else {
                assertThat(e).as("%s", s).isIn(allowed);
            }
        }
        assertThat(NbdErrno.of(BlkStatus.NOSPC)).isEqualTo(NbdErrno.ENOSPC);
        assertThat(NbdErrno.of(BlkStatus.PERM)).isEqualTo(NbdErrno.EPERM);
        assertThat(NbdErrno.of(BlkStatus.NOTSUPP)).isEqualTo(NbdErrno.EINVAL);
    }

    /**
     * X27, "Terminating the transmission phase": "On a server shutdown, the server SHOULD wait for inflight requests
     * to be serviced prior to initiating a hard disconnect. ... The error value issued in respect of these requests
     * and any subsequently received requests SHOULD be NBD_ESHUTDOWN."
     */
    @Test
    void serverShutdownFailsRequestsArrivingMeanwhileWithEshutdown() throws Exception {
        MemoryDisk memory = new MemoryDisk("g", 2048);
        TestDevices.Gated gated = new TestDevices.Gated(memory, Integer.MAX_VALUE);
        Path gsock = dir.resolve("gated.sock");
        NbdServer s = new NbdServer(MapExports.of("g", checks.wrap(gated))).listenUnix(gsock).start();
        try (RawClient c = RawClient.connect(gsock).open("g")) {
            byte[] data = random(4096, 11);
            c.request(0, CMD_WRITE, 1, 0, 4096, data);
            gated.awaitHeld(1);
            Thread closer = Thread.ofPlatform().start(s::close);
            Thread.sleep(100);
            c.request(0, CMD_READ, 2, 0, 512, null);
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(NbdErrno.ESHUTDOWN, 2));
            c.request(0, CMD_WRITE, 3, 4096, 512, random(512, 12));
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(NbdErrno.ESHUTDOWN, 3));
            assertThat(closer.isAlive()).as("close waits for the request in flight").isTrue();
            gated.open();
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(0, 1)); // in flight: served, not failed
            assertThat(closedWithin(c)).isTrue();
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
            assertThat(memory.bytes(0, 8)).isEqualTo(data);
            assertThat(memory.bytes(8, 1)).containsOnly(0); // the refused write changed nothing
        } finally {
            s.close();
        }
    }

    /**
     * X26, "Terminating the transmission phase": "On a server shutdown, the server SHOULD wait for inflight requests
     * to be serviced prior to initiating a hard disconnect." A WRITE whose payload stalls halfway cannot be serviced:
     * the shutdown stops reading it after a quiet second instead of waiting out its whole grace period.
     */
    @Test
    void shutdownDoesNotWaitForAStalledWritePayload() throws Exception {
        Path s2 = dir.resolve("stall.sock");
        NbdServer s = new NbdServer(MapExports.of("m", checks.wrap(new MemoryDisk("m", 4096)))).listenUnix(s2).start();
        try (RawClient c = RawClient.connect(s2).open("m")) {
            c.request(0, CMD_WRITE, 1, 0, MIB, new byte[MIB / 2]); // half the payload, then nothing
            Thread.sleep(100);
            long t0 = System.nanoTime();
            s.close();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
            assertThat(s.connectionCount()).isZero();
        } finally {
            s.close();
        }
    }

    /**
     * X29, "Protocol phases": "If TCP sockets are used, both the client and server SHOULD disable Nagle's algorithm
     * (that is, use setsockopt to set the TCP_NODELAY option to non-zero)". Checked on the server's side of an
     * accepted connection.
     */
    @Test
    void tcpConnectionsDisableNagle() throws Exception {
        try (Listener l = Listener.tcp("127.0.0.1", 0)) {
            java.util.concurrent.CompletableFuture<Boolean> nodelay = new java.util.concurrent.CompletableFuture<>();
            Thread.ofVirtual().start(() -> l.acceptLoop(ch -> {
                nodelay.complete(ch.getOption(java.net.StandardSocketOptions.TCP_NODELAY));
                ch.close();
            }));
            try (var client = java.nio.channels.SocketChannel.open(l.address())) {
                assertThat(nodelay.get(10, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    /**
     * A disk with a volatile write cache, to tell acknowledged from durable: writes, write-zeroes and trims end at
     * once but stay only cached; a flush makes everything cached at its submission durable, and a FUA write makes
     * its own sectors durable, each after a moment (as a disk's cache flush takes time). {@link #durable} holds the
     * sectors known to be on stable storage.
     */
    static final class WriteCacheDisk implements BlockDevice {
        private static final ScheduledExecutorService LATER = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("write-cache").factory());
        private static final long PERSIST_MILLIS = 50;
        private final MemoryDisk inner;
        private final Set<Long> cached = ConcurrentHashMap.newKeySet();
        final Set<Long> durable = ConcurrentHashMap.newKeySet();

        WriteCacheDisk(MemoryDisk inner) {
            this.inner = inner;
        }

        static List<Long> sectors(long from, int n) {
            List<Long> out = new ArrayList<>();
            for (long s = from; s < from + n; s++) {
                out.add(s);
            }
            return out;
        }

        @Override
        public String name() {
            return "write-cache";
        }

        @Override
        public long sizeSectors() {
            return inner.sizeSectors();
        }

        @Override
        public void submitBio(Bio bio) {
            if (bio.op() == Op.FLUSH) {
                Set<Long> flushing = Set.copyOf(cached);
                LATER.schedule(() -> {
                    durable.addAll(flushing);
                    cached.removeAll(flushing);
                    bio.endio(BlkStatus.OK);
                }, PERSIST_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            if (bio.op() == Op.READ) {
                bio.remap(inner, bio.sector());
                bio.submit();
                return;
            }
            List<Long> range = sectors(bio.sector(), bio.sectors());
            boolean fua = bio.fua();
            Bio clone = bio.clone(0, bio.sectors(), done -> {
                if (fua) {
                    LATER.schedule(() -> {
                        durable.addAll(range);
                        bio.endio(done.status());
                    }, PERSIST_MILLIS, TimeUnit.MILLISECONDS);
                } else {
                    range.forEach(durable::remove);
                    cached.addAll(range);
                    bio.endio(done.status());
                }
            });
            clone.remap(inner, clone.sector());
            clone.submit();
        }
    }
}
