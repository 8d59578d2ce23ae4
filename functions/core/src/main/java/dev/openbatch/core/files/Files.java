package dev.openbatch.core.files;

import dev.openbatch.core.AlreadyExists;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileDeleted;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.http.Multipart;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** The Files API: upload, list, retrieve, download and delete, for one tenant at a time. */
public final class Files {

    public static final String PURPOSE_BATCH = "batch";
    public static final String PURPOSE_BATCH_OUTPUT = "batch_output";
    public static final String JSONL = "application/jsonl";

    /**
     * The largest file one {@code POST /v1/files} can carry. Lambda takes at most 6 MB per
     * invocation and API Gateway sends a multipart body base64-encoded (4/3 larger), so a file of
     * 4 MiB, with its form and event around it, still fits; larger files use the Uploads API.
     */
    public static final long MAX_SINGLE_REQUEST_BYTES = 4L * 1024 * 1024;

    /**
     * The largest file {@code GET /v1/files/{id}/content} answers with inline. A Lambda answer is
     * bounded as its request is (6 MB, file bytes base64-encoded), so larger files are sent to S3
     * instead: a 302 to a presigned URL, which the SDKs and {@code curl -L} follow.
     */
    public static final long MAX_INLINE_CONTENT_BYTES = MAX_SINGLE_REQUEST_BYTES;

    /** How long a download's presigned URL works: the client follows it at once. */
    public static final Duration DOWNLOAD_URL_VALIDITY = Duration.ofMinutes(5);

    /** As OpenAI, at most 10,000 files in one page, and all of them when no limit is given. */
    static final int MAX_LIST_LIMIT = 10_000;

    private final FileRepository repository;
    private final FileContentStore content;
    private final Ids ids;
    private final Clock clock;

    public Files(FileRepository repository, FileContentStore content, Ids ids, Clock clock) {
        this.repository = repository;
        this.content = content;
        this.ids = ids;
        this.clock = clock;
    }

    /** The S3 key that holds a file's bytes. */
    public static String contentKey(String fileId) {
        return "files/" + fileId;
    }

    /** {@code POST /v1/files}: the bytes are stored before the record, so a file is never listed without them. */
    public FileObject upload(String tenant, Map<String, Multipart.Part> form) {
        Multipart.Part purpose = form.get("purpose");
        if (purpose == null) {
            throw ApiException.missing("purpose");
        }
        if (!purpose.text().equals(PURPOSE_BATCH)) {
            throw ApiException.notOneOf(purpose.text(), List.of(PURPOSE_BATCH), "purpose");
        }
        Multipart.Part file = form.get("file");
        if (file == null || file.filename() == null) {
            throw ApiException.missing("file");
        }
        if (!isJsonl(file.filename())) {
            throw notJsonl("file");
        }
        if (file.data().length > MAX_SINGLE_REQUEST_BYTES) {
            throw tooLarge(file.data().length);
        }
        ExpiresAfter expiry = ExpiresAfter.of(form, "expires_after");
        return store(tenant, file.filename(), file.data().length, expiry, key -> content.put(key, file.data(), JSONL));
    }

    /**
     * Stores a new file of purpose {@code batch}, expiring as {@code expiry} says (never, when null):
     * {@code write} puts its bytes at the key it is given,
     * then the record is written. Should either fail, the bytes are removed again, so a file is never
     * listed without its bytes nor its bytes left behind without a file.
     */
    public FileObject store(String tenant, String filename, long bytes, Consumer<String> write) {
        return store(tenant, filename, bytes, null, write);
    }

    public FileObject store(String tenant, String filename, long bytes, ExpiresAfter expiry, Consumer<String> write) {
        long now = clock.instant().getEpochSecond();
        FileObject created = FileObject.stored(
                ids.file(), bytes, now, expiry == null ? null : expiry.expiresAt(now), filename, PURPOSE_BATCH);
        String key = contentKey(created.id());
        try {
            write.accept(key);
            repository.create(tenant, created);
        } catch (RuntimeException e) {
            content.delete(key);
            throw e;
        }
        return created;
    }

    /**
     * Records a file whose bytes are stored already, at {@link #contentKey} of its id (an S3 drop, copied
     * in). A file of that id recorded before (the same drop, delivered again) is answered as it stands.
     */
    public FileObject adopt(String tenant, FileObject file) {
        try {
            repository.create(tenant, file);
            return file;
        } catch (AlreadyExists again) {
            return repository.find(tenant, file.id()).orElseThrow(() -> again);
        }
    }

    /** Whether a file of this name can be a batch's input: OpenAI takes only {@code .jsonl}. */
    public static boolean isJsonl(String filename) {
        return filename.toLowerCase(Locale.ROOT).endsWith(".jsonl");
    }

    /** The refusal of a file not named {@code .jsonl}, given as {@code param}. */
    public static ApiException notJsonl(String param) {
        return ApiException.invalid("Invalid file format for Batch API. Must be .jsonl", param, "invalid_file_format");
    }

    /** The 413 for a body too large for one request. */
    public static ApiException tooLarge(long bytes) {
        return new ApiException(
                413,
                "invalid_request_error",
                "File of " + bytes + " bytes exceeds the " + MAX_SINGLE_REQUEST_BYTES
                        + " bytes one request can carry; upload it in parts with the Uploads API (/v1/uploads).",
                "file",
                "file_too_large");
    }

    public FileObject retrieve(String tenant, String id) {
        return find(tenant, id).orElseThrow(() -> noSuchFile(id, "id"));
    }

    /**
     * The tenant's file, unless it has expired: past its {@code expires_at} a file is gone at once,
     * whether or not the sweeper has removed it yet.
     */
    public Optional<FileObject> find(String tenant, String id) {
        return live(repository, tenant, id, clock);
    }

    /** The tenant's file of that id in {@code repository}, unless it has expired by {@code clock}. */
    public static Optional<FileObject> live(FileRepository repository, String tenant, String id, Clock clock) {
        long now = clock.instant().getEpochSecond();
        return repository.find(tenant, id).filter(file -> !file.expiredBy(now));
    }

    /** A page of the tenant's files, those expired left out (a page may thus hold fewer than its limit). */
    public Page<FileObject> list(String tenant, String purpose, String after, Integer limit, String order) {
        int size = PageRequest.limit(limit, MAX_LIST_LIMIT, MAX_LIST_LIMIT);
        String direction = order == null ? "desc" : order;
        if (!direction.equals("desc") && !direction.equals("asc")) {
            throw ApiException.notOneOf(direction, List.of("asc", "desc"), "order");
        }
        Page<FileObject> page =
                repository.list(tenant, purpose, new PageRequest(after, size, direction.equals("desc")));
        long now = clock.instant().getEpochSecond();
        return new Page<>(
                page.items().stream().filter(file -> !file.expiredBy(now)).toList(), page.hasMore());
    }

    /** What {@code GET /v1/files/{id}/content} answers: the bytes, or where to fetch them. */
    public sealed interface Content {
        /** A file small enough to answer with. */
        record Inline(byte[] bytes) implements Content {}

        /** A larger file, read from a short-lived URL instead. */
        record Redirect(URI location) implements Content {}
    }

    /**
     * {@code GET /v1/files/{id}/content}: up to {@link #MAX_INLINE_CONTENT_BYTES} the bytes themselves;
     * beyond, a presigned URL, so that no file passes whole through the API's memory.
     */
    public Content content(String tenant, String id) {
        FileObject file = retrieve(tenant, id);
        if (file.bytes() > MAX_INLINE_CONTENT_BYTES) {
            return new Content.Redirect(content.presignedGet(contentKey(file.id()), DOWNLOAD_URL_VALIDITY));
        }
        try (InputStream in = content.open(contentKey(file.id()))) {
            return new Content.Inline(in.readAllBytes());
        } catch (FileContentStore.NoSuchKey e) {
            throw noSuchFile(id, "id");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code DELETE /v1/files/{id}}: the record goes first, so a file is never listed without its bytes. */
    public FileDeleted delete(String tenant, String id) {
        if (find(tenant, id).isEmpty() || !repository.delete(tenant, id)) {
            throw noSuchFile(id, "id");
        }
        content.delete(contentKey(id));
        return FileDeleted.of(id);
    }

    /**
     * Removes files past their {@code expires_at}, at most {@code limit} of them: each record first, so
     * that a file is never listed without its bytes, then its bytes. Answers how many went.
     */
    public int removeExpired(ExpiredFiles expired, int limit) {
        int removed = 0;
        for (ExpiredFiles.Expired file : expired.due(clock.instant().getEpochSecond(), limit)) {
            if (repository.delete(file.tenant(), file.fileId())) {
                removed++;
            }
            // Also when the record had gone already: a sweep stopped between the two finishes here.
            content.delete(contentKey(file.fileId()));
        }
        return removed;
    }

    public static ApiException noSuchFile(String id, String param) {
        return ApiException.notFound("No such File object: " + id, param);
    }
}
