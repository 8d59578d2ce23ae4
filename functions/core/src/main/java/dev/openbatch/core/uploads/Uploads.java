package dev.openbatch.core.uploads;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.Upload;
import dev.openbatch.core.api.UploadPart;
import dev.openbatch.core.files.Concatenated;
import dev.openbatch.core.files.ExpiresAfter;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.JsonBody;
import dev.openbatch.core.http.Multipart;
import dev.openbatch.core.pipeline.InputValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OpenAI's Uploads API, for one tenant at a time: a file too large for one request arrives as
 * parts, which {@code complete} joins, in the order it is given, into one File.
 *
 * <p>Parts are objects of their own under {@link #partsPrefix}, with no record: what was added is
 * what the store holds, and {@code complete} reads their sizes with one listing.
 */
public final class Uploads {

    /** As OpenAI: an upload not completed within an hour of its creation expires. */
    public static final Duration LIFETIME = Duration.ofHours(1);

    /**
     * The most one part may carry: what one request to the API can carry (see
     * {@link Files#MAX_SINGLE_REQUEST_BYTES}). OpenAI allows 64 MB, which API Gateway (10 MB) and
     * Lambda (6 MB, base64-encoded) would refuse before the function saw it.
     */
    public static final long MAX_PART_BYTES = Files.MAX_SINGLE_REQUEST_BYTES;

    /** The largest file an upload may declare: a batch's input file may have at most 200 MB. */
    public static final long MAX_BYTES = InputValidator.Limits.OPENAI.maxBytes();

    private static final Set<String> CREATE_PARAMETERS =
            Set.of("bytes", "filename", "mime_type", "purpose", "expires_after");
    private static final Set<String> COMPLETE_PARAMETERS = Set.of("part_ids", "md5");
    private static final System.Logger LOG = System.getLogger(Uploads.class.getName());

    private final UploadRepository uploads;
    private final Files files;
    private final FileContentStore content;
    private final Ids ids;
    private final Clock clock;

    public Uploads(UploadRepository uploads, Files files, FileContentStore content, Ids ids, Clock clock) {
        this.uploads = uploads;
        this.files = files;
        this.content = content;
        this.ids = ids;
        this.clock = clock;
    }

    /** Where an upload's parts are kept until it is completed or cancelled. */
    public static String partsPrefix(String uploadId) {
        return "uploads/" + uploadId + "/parts/";
    }

    static String partKey(String uploadId, String partId) {
        return partsPrefix(uploadId) + partId;
    }

    /**
     * {@code POST /v1/uploads}. {@code mime_type} is required, as OpenAI requires it, and not checked:
     * the file's lines are, when a batch reads it. {@code expires_after} sets the File's
     * {@code expires_at}, counted from the File's creation.
     */
    public Upload create(String tenant, byte[] body) {
        JsonBody request = JsonBody.parse(body, CREATE_PARAMETERS);
        long bytes = request.requiredInteger("bytes");
        String filename = request.requiredString("filename");
        request.requiredString("mime_type");
        String purpose = request.requiredString("purpose");
        ExpiresAfter expiresAfter = ExpiresAfter.of(request.get("expires_after"), "expires_after");
        if (!purpose.equals(Files.PURPOSE_BATCH)) {
            throw ApiException.notOneOf(purpose, List.of(Files.PURPOSE_BATCH), "purpose");
        }
        if (!Files.isJsonl(filename)) {
            throw Files.notJsonl("filename");
        }
        if (bytes < 1 || bytes > MAX_BYTES) {
            throw ApiException.invalid(
                    "Invalid 'bytes': a batch input file has between 1 and " + MAX_BYTES + " bytes, but got " + bytes
                            + ".",
                    "bytes",
                    "invalid_value");
        }
        long now = now();
        Upload upload = Upload.pending(
                ids.upload(),
                bytes,
                now,
                filename,
                purpose,
                now + LIFETIME.toSeconds(),
                expiresAfter == null ? null : expiresAfter.seconds());
        uploads.create(tenant, upload);
        return upload;
    }

    /** {@code POST /v1/uploads/{id}/parts}: multipart {@code data}, at most {@link #MAX_PART_BYTES}. */
    public UploadPart addPart(String tenant, String uploadId, Map<String, Multipart.Part> form) {
        pending(tenant, uploadId, "add a part to");
        Multipart.Part data = form.get("data");
        if (data == null) {
            throw ApiException.missing("data");
        }
        if (data.data().length > MAX_PART_BYTES) {
            throw ApiException.invalid(
                    "Part of " + data.data().length + " bytes is larger than the " + MAX_PART_BYTES
                            + " bytes one part may carry; send the file in parts of at most " + MAX_PART_BYTES
                            + " bytes.",
                    "data",
                    "part_too_large");
        }
        UploadPart part = UploadPart.of(ids.part(), now(), uploadId);
        String key = partKey(uploadId, part.id());
        content.put(key, data.data(), "application/octet-stream");
        Upload after = find(tenant, uploadId);
        if (!after.status().equals(Upload.Status.PENDING)) {
            // Completed or cancelled while the part was written: nothing will ever read it.
            content.delete(key);
            throw notPending(after, "add a part to");
        }
        return part;
    }

    /**
     * {@code POST /v1/uploads/{id}/complete}: joins the parts {@code part_ids} names, in that order,
     * into a new File, provided they hold exactly the bytes the upload declared and, when {@code md5}
     * is given, have that digest. A refused completion leaves the upload pending, to be completed again.
     */
    public Upload complete(String tenant, String uploadId, byte[] body) {
        JsonBody request = JsonBody.parse(body, COMPLETE_PARAMETERS);
        List<String> partIds = partIds(request.get("part_ids"));
        String md5 = request.optionalString("md5");
        Upload upload = pending(tenant, uploadId, "complete");

        Map<String, Long> stored = content.sizes(partsPrefix(uploadId));
        List<String> keys = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        long total = 0;
        for (String partId : partIds) {
            if (!listed.add(partId)) {
                throw ApiException.invalid(
                        "Invalid 'part_ids': " + partId + " is listed more than once.", "part_ids", "duplicate_part");
            }
            Long size = stored.get(partKey(uploadId, partId));
            if (size == null) {
                throw ApiException.invalid(
                        "Invalid 'part_ids': no part " + partId + " was added to upload " + uploadId + ".",
                        "part_ids",
                        "invalid_value");
            }
            keys.add(partKey(uploadId, partId));
            total += size;
        }
        if (total != upload.bytes()) {
            throw ApiException.invalid(
                    "The parts in 'part_ids' hold " + total + " bytes, but the upload was " + "created for "
                            + upload.bytes() + " bytes.",
                    "part_ids",
                    "bytes_mismatch");
        }

        long length = total;
        ExpiresAfter fileExpiry =
                upload.fileExpiresAfter() == null ? null : new ExpiresAfter(upload.fileExpiresAfter());
        FileObject file =
                files.store(tenant, upload.filename(), length, fileExpiry, key -> assemble(keys, key, length, md5));
        Optional<Upload> completed = uploads.finish(tenant, uploadId, Upload.Status.COMPLETED, file);
        if (completed.isEmpty()) {
            // Cancelled, or completed by another request, while this one assembled: its file goes again.
            files.delete(tenant, file.id());
            throw notPending(find(tenant, uploadId), "complete");
        }
        discardParts(uploadId);
        return completed.get();
    }

    /** {@code POST /v1/uploads/{id}/cancel}: no part may be added after; cancelling twice is no error. */
    public Upload cancel(String tenant, String uploadId) {
        Upload upload = find(tenant, uploadId);
        if (upload.status().equals(Upload.Status.CANCELLED)) {
            return upload;
        }
        if (!upload.status().equals(Upload.Status.PENDING)) {
            throw notPending(upload, "cancel");
        }
        Upload cancelled = uploads.finish(tenant, uploadId, Upload.Status.CANCELLED, null)
                .orElseThrow(() -> notPending(find(tenant, uploadId), "cancel"));
        discardParts(uploadId);
        return cancelled;
    }

    /**
     * Streams the parts, one after another, into the file's object, computing their MD5 on the way.
     *
     * <p>Why not let S3 copy them server-side (a multipart upload of {@code UploadPartCopy}s): every
     * part of a multipart upload but the last must hold at least 5 MiB, and a part here holds at most
     * {@link #MAX_PART_BYTES} (4 MiB), so the parts cannot become S3's parts as they are; and an
     * {@code md5} must read every byte anyway. One stream through holds a buffer in memory, whatever
     * the size of the file, and writes the object with one request of known length.
     */
    private void assemble(List<String> partKeys, String fileKey, long length, String md5) {
        MessageDigest digest = md5Digest();
        try (InputStream joined =
                new DigestInputStream(Concatenated.of(partKeys.size(), i -> content.open(partKeys.get(i))), digest)) {
            content.put(fileKey, joined, length, Files.JSONL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (md5 != null && !md5.equalsIgnoreCase(actual)) {
            throw ApiException.invalid(
                    "Invalid 'md5': the parts' MD5 is " + actual + ", not " + md5 + ".", "md5", "md5_mismatch");
        }
    }

    /** A finished upload's parts are of no further use; should removing them fail, the request has still succeeded. */
    private void discardParts(String uploadId) {
        try {
            content.deleteAll(partsPrefix(uploadId));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the parts of " + uploadId + " could not be removed", e);
        }
    }

    private static List<String> partIds(JsonNode node) {
        if (node == null) {
            throw ApiException.missing("part_ids");
        }
        if (!node.isArray()) {
            throw JsonBody.invalidType("part_ids", "an array", node);
        }
        List<String> partIds = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                throw JsonBody.invalidType("part_ids[" + i + "]", "a string", node.get(i));
            }
            partIds.add(node.get(i).textValue());
        }
        return partIds;
    }

    private Upload pending(String tenant, String uploadId, String action) {
        Upload upload = find(tenant, uploadId);
        if (!upload.status().equals(Upload.Status.PENDING)) {
            throw notPending(upload, action);
        }
        return upload;
    }

    private Upload find(String tenant, String uploadId) {
        return uploads.find(tenant, uploadId)
                .map(u -> u.asOf(now()))
                .orElseThrow(() -> ApiException.notFound("No such Upload object: " + uploadId, "upload_id"));
    }

    private static ApiException notPending(Upload upload, String action) {
        return ApiException.invalid(
                "Cannot " + action + " upload " + upload.id() + ": its status is '" + upload.status() + "'.",
                null,
                "invalid_upload_status");
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    private static MessageDigest md5Digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }
}
