package io.micromesh.engines.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.micromesh.testkit.HubStandIn;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModelPull} against a loopback stand-in that answers as Hugging Face and its CDN do. */
class ModelPullTest {

    private static final String REPO = "acme/tiny-GGUF";
    private static final String FILE = "tiny-Q4_0.gguf";
    private static final String SOURCE = "hf://" + REPO + "/" + FILE;
    private static final byte[] CONTENT = bytes(300_000, 42);
    private static final String DIGEST = HubStandIn.sha256(CONTENT);

    @TempDir
    Path dir;

    private HubStandIn hub;
    private ModelPull pull;
    private final List<long[]> progress = new ArrayList<>();
    private final ProgressListener recording = (done, total) -> progress.add(new long[] {done, total});

    @BeforeEach
    void start() {
        hub = HubStandIn.start().lfsFile(REPO, FILE, CONTENT);
        pull = ModelPull.fromEnvironment(Map.of("MESH_HF_ENDPOINT", hub.endpoint()));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void downloadsThroughTheHubRedirectAndChecksTheAnnouncedDigest() throws IOException {
        PullResult result = pull.pull(SOURCE, dir.resolve("models"), recording);

        Path file = dir.resolve("models").resolve(FILE);
        assertThat(result).isEqualTo(new PullResult.Downloaded(file, CONTENT.length, 0, DIGEST, "x-linked-etag"));
        assertThat(Files.readAllBytes(file)).isEqualTo(CONTENT);
        assertThat(dir.resolve("models").resolve(FILE + ".part")).doesNotExist();
        List<HubStandIn.Recorded> requests = hub.requests();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).toCdn()).isFalse();
        assertThat(requests.get(0).path()).isEqualTo("/acme/tiny-GGUF/resolve/main/tiny-Q4_0.gguf");
        assertThat(requests.get(1).toCdn()).isTrue();
        assertThat(requests).allSatisfy(r -> assertThat(r.header("range")).isEmpty());
        assertThat(hub.bytesSent()).isEqualTo(CONTENT.length);
        assertThat(progress.getFirst()).containsExactly(0, CONTENT.length);
        assertThat(progress.getLast()).containsExactly(CONTENT.length, CONTENT.length);
    }

    @Test
    void resumesAnInterruptedDownloadFetchingOnlyTheMissingBytes() throws IOException {
        hub.cutNextDownloadAfter(100_000);
        PullException broken = catchThrowableOfType(PullException.class,
                () -> pull.pull(SOURCE, dir, ProgressListener.none()));

        assertThat(broken.retriable()).isTrue();
        assertThat(broken.getMessage()).contains("broke off after 100000 of 300000 bytes").contains("run the same pull again");
        assertThat(dir.resolve(FILE)).doesNotExist();
        assertThat(Files.size(dir.resolve(FILE + ".part"))).isEqualTo(100_000);

        PullResult result = pull.pull(SOURCE, dir, recording);

        assertThat(result).isEqualTo(new PullResult.Downloaded(dir.resolve(FILE), CONTENT.length, 100_000, DIGEST,
                "x-linked-etag"));
        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(CONTENT);
        assertThat(hub.cdnRequests().getLast().header("range")).contains("bytes=100000-");
        assertThat(hub.bytesSent()).as("100,000 bytes, then only the 200,000 missing").isEqualTo(CONTENT.length);
        assertThat(progress.getFirst()).as("the resume starts at the bytes already there").containsExactly(100_000, 300_000);
    }

    @Test
    void startsOverWhenTheServerIgnoresTheRange() throws IOException {
        Files.write(dir.resolve(FILE + ".part"), bytes(1000, 7));
        hub.ignoreRange(true);

        PullResult result = pull.pull(SOURCE, dir, ProgressListener.none());

        assertThat(((PullResult.Downloaded) result).resumedFrom()).isZero();
        assertThat(hub.cdnRequests().getLast().header("range")).contains("bytes=1000-");
        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(CONTENT);
    }

    @Test
    void aCompletePartIsVerifiedAndMovedWithoutFetchingItsBytesAgain() throws IOException {
        Files.write(dir.resolve(FILE + ".part"), CONTENT);

        PullResult result = pull.pull(SOURCE, dir, ProgressListener.none());

        assertThat(result).isEqualTo(new PullResult.Downloaded(dir.resolve(FILE), CONTENT.length, CONTENT.length,
                DIGEST, "x-linked-etag"));
        assertThat(hub.cdnRequests().getLast().header("range")).contains("bytes=300000-");
        assertThat(hub.bytesSent()).isZero();
    }

    @Test
    void aPartLargerThanTheFileIsStartedOver() throws IOException {
        byte[] tooLong = Arrays.copyOf(CONTENT, CONTENT.length + 10);
        Files.write(dir.resolve(FILE + ".part"), tooLong);

        pull.pull(SOURCE, dir, ProgressListener.none());

        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(CONTENT);
        assertThat(hub.cdnRequests()).hasSize(2);
        assertThat(hub.cdnRequests().getLast().header("range")).isEmpty();
    }

    @Test
    void refusesAChecksumMismatchAndKeepsTheBytesAsideUnderABadName() throws IOException {
        hub.corrupt(true);

        PullException mismatch = catchThrowableOfType(PullException.class,
                () -> pull.pull(SOURCE, dir, ProgressListener.none()));

        byte[] corrupted = CONTENT.clone();
        corrupted[0] ^= 0x5A;
        String actual = HubStandIn.sha256(corrupted);
        Path bad = dir.resolve(FILE + ".bad-" + actual.substring(0, 12));
        assertThat(mismatch.getMessage()).isEqualTo("checksum mismatch for " + FILE + ": expected SHA-256 " + DIGEST
                + " (x-linked-etag), got " + actual + "; the download is kept aside as " + bad + "; delete it and pull again");
        assertThat(mismatch.retriable()).isFalse();
        assertThat(dir.resolve(FILE)).doesNotExist();
        assertThat(dir.resolve(FILE + ".part")).doesNotExist();
        assertThat(Files.readAllBytes(bad)).isEqualTo(corrupted);
    }

    @Test
    void checksTheGivenSha256OfAPlainUrlThatAnnouncesNone() throws IOException {
        hub.plainFile("/files/plain.gguf", CONTENT);
        String url = hub.endpoint() + "/files/plain.gguf";

        PullResult result = pull.pull(url, dir, DIGEST.toUpperCase(), ProgressListener.none());

        assertThat(result).isEqualTo(new PullResult.Downloaded(dir.resolve("plain.gguf"), CONTENT.length, 0, DIGEST,
                "--sha256"));
        String other = HubStandIn.sha256(new byte[] {1});
        assertThatThrownBy(() -> pull.pull(url, dir.resolve("again"), other, ProgressListener.none()))
                .isInstanceOf(PullException.class)
                .hasMessageStartingWith("checksum mismatch for plain.gguf: expected SHA-256 " + other + " (--sha256), got "
                        + DIGEST);
        assertThat(dir.resolve("again").resolve("plain.gguf")).doesNotExist();
    }

    @Test
    void aPlainUrlWithoutAnyDigestIsDownloadedUnverified() {
        hub.plainFile("/files/plain.gguf", CONTENT);

        PullResult result = pull.pull(hub.endpoint() + "/files/plain.gguf", dir, ProgressListener.none());

        assertThat(((PullResult.Downloaded) result).verifiedBy()).isEmpty();
    }

    @Test
    void aGivenSha256MustBeOneAndTheSourcesOwnToo() {
        assertThatThrownBy(() -> pull.pull(SOURCE, dir, "abc", ProgressListener.none()))
                .isInstanceOf(PullException.class)
                .hasMessage("'abc' is not a SHA-256 digest (64 hexadecimal digits)");

        PullResult both = pull.pull(SOURCE, dir, DIGEST, ProgressListener.none());

        assertThat(((PullResult.Downloaded) both).verifiedBy()).isEqualTo("--sha256 and x-linked-etag");
    }

    @Test
    void aFileAlreadyThereIsNotDownloadedAgainAndIsCheckedWhenADigestIsGiven() throws IOException {
        Files.write(dir.resolve(FILE), CONTENT);

        assertThat(pull.pull(SOURCE, dir, ProgressListener.none()))
                .isEqualTo(new PullResult.AlreadyPresent(dir.resolve(FILE), false));
        assertThat(pull.pull(SOURCE, dir, DIGEST, ProgressListener.none()))
                .isEqualTo(new PullResult.AlreadyPresent(dir.resolve(FILE), true));
        String other = HubStandIn.sha256(new byte[] {1});
        assertThatThrownBy(() -> pull.pull(SOURCE, dir, other, ProgressListener.none()))
                .hasMessage(dir.resolve(FILE) + " is already there but its SHA-256 is " + DIGEST + ", not " + other
                        + "; move it away to download it again");
        assertThat(hub.requests()).isEmpty();
        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(CONTENT);
    }

    @Test
    void aMissingFileIsNamed() {
        PullException e = catchThrowableOfType(PullException.class,
                () -> pull.pull("hf://" + REPO + "/nope.gguf", dir, ProgressListener.none()));

        assertThat(e.getMessage()).isEqualTo("hf://acme/tiny-GGUF/nope.gguf: no such file in the repository (404 from "
                + hub.endpoint() + "/acme/tiny-GGUF/resolve/main/nope.gguf); check the file name and its folder");
        assertThat(e.retriable()).isFalse();
        assertThat(dir.resolve("nope.gguf.part")).doesNotExist();
    }

    @Test
    void aMissingRepositoryMentionsGatedRepositoriesAndHfToken() {
        assertThatThrownBy(() -> pull.pull("hf://acme/nope/x.gguf", dir, ProgressListener.none()))
                .hasMessage("hf://acme/nope/x.gguf: repository not found (401 from " + hub.endpoint()
                        + "/acme/nope/resolve/main/x.gguf); check OWNER/REPO; if the repository is gated or private,"
                        + " accept its terms on the hub and set HF_TOKEN to a token that can read it");
    }

    @Test
    void aMissingRevisionIsNamed() {
        assertThatThrownBy(() -> pull.pull("hf://" + REPO + "@v9/" + FILE, dir, ProgressListener.none()))
                .hasMessageContaining("no such revision in the repository (404 from " + hub.endpoint()
                        + "/acme/tiny-GGUF/resolve/v9/tiny-Q4_0.gguf)");
    }

    @Test
    void aRevisionIsFetchedFromItsOwnResolvePath() throws IOException {
        byte[] tagged = bytes(5000, 3);
        hub.lfsFile(REPO, "refs/pr/1", FILE, tagged);

        pull.pull("hf://" + REPO + "@refs/pr/1/" + FILE, dir, ProgressListener.none());

        assertThat(hub.requests().getFirst().path()).isEqualTo("/acme/tiny-GGUF/resolve/refs%2Fpr%2F1/tiny-Q4_0.gguf");
        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(tagged);
    }

    @Test
    void aGatedRepositoryNeedsHfTokenWhichGoesToTheHubOnlyNeverToTheCdn() throws IOException {
        hub.gated(REPO, "hf_secret");

        assertThatThrownBy(() -> pull.pull(SOURCE, dir, ProgressListener.none()))
                .isInstanceOf(PullException.class)
                .hasMessageContaining("the repository is gated (401 from")
                .hasMessageEndingWith("accept its terms on the hub and set HF_TOKEN to a token that can read it");
        assertThatThrownBy(() -> ModelPull.fromEnvironment(Map.of("MESH_HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", "wrong"))
                .pull(SOURCE, dir, ProgressListener.none()))
                .hasMessageContaining("the HF_TOKEN sent cannot read it");

        ModelPull withToken = ModelPull.fromEnvironment(Map.of("MESH_HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", "hf_secret"));
        withToken.pull(SOURCE, dir, ProgressListener.none());

        assertThat(Files.readAllBytes(dir.resolve(FILE))).isEqualTo(CONTENT);
        HubStandIn.Recorded toHub = hub.requests().stream().filter(r -> !r.toCdn()).toList().getLast();
        assertThat(toHub.header("authorization")).contains("Bearer hf_secret");
        assertThat(hub.cdnRequests()).isNotEmpty().allSatisfy(r -> assertThat(r.header("authorization")).isEmpty());
    }

    @Test
    void aRefusedConnectionIsRetriableAndNamesTheAddress() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = probe.getLocalPort();
        }
        int closed = port;

        PullException e = catchThrowableOfType(PullException.class,
                () -> pull.pull("http://127.0.0.1:" + closed + "/m.gguf", dir, ProgressListener.none()));

        assertThat(e.getMessage()).isEqualTo("cannot connect to 127.0.0.1:" + closed + " (connection refused)");
        assertThat(e.retriable()).isTrue();
    }

    @Test
    void aFolderThatCannotBeCreatedIsOneLine() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("models"), "a file");

        assertThatThrownBy(() -> pull.pull(SOURCE, notAFolder, ProgressListener.none()))
                .hasMessageStartingWith("cannot create the folder " + notAFolder + ": ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aSecondPullOfTheSameFileAtOnceIsRefused() throws IOException {
        try (FileChannel part = FileChannel.open(dir.resolve(FILE + ".part"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = part.lock()) {
            assertThat(held.isValid()).isTrue();
            assertThatThrownBy(() -> pull.pull(SOURCE, dir, ProgressListener.none()))
                    .hasMessage("another pull is writing " + dir.resolve(FILE + ".part") + "; wait for it to finish");
        }
        assertThat(hub.requests()).isEmpty();
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
