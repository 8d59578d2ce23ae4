package dev.openbatch.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * S3's regions, in front of the local S3. Each bucket lives in one region — the runtime's own unless
 * configured otherwise — and a request signed for another region is answered as S3 answers it:
 * {@code 301 PermanentRedirect} with {@code x-amz-bucket-region}. So the worker's cross-region client
 * finds a bucket's region the way it does in the cloud; every other request passes through to S3Proxy.
 */
final class RegionalS3 implements AutoCloseable {

    /** The region of the credential scope, in a header or a presigned URL's query. */
    private static final Pattern SIGNED_REGION = Pattern.compile("Credential=[^/]+/\\d{8}/([^/]+)/s3/");

    private static final Pattern SIGNED_REGION_QUERY =
            Pattern.compile("X-Amz-Credential=[^%&]+(?:/|%2F)\\d{8}(?:/|%2F)([^/%]+)");
    /** Headers the HTTP client sets itself. */
    private static final Set<String> HOP_BY_HOP =
            Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive");

    private final HttpServer server;
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI s3;
    private final String home;
    private final Map<String, String> bucketRegions;
    private final AtomicInteger redirects = new AtomicInteger();

    private RegionalS3(HttpServer server, URI s3, String home, Map<String, String> bucketRegions) {
        this.server = server;
        this.s3 = s3;
        this.home = home;
        this.bucketRegions = Map.copyOf(bucketRegions);
    }

    static RegionalS3 start(String host, URI s3, String home, Map<String, String> bucketRegions) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 0);
            RegionalS3 front = new RegionalS3(server, s3, home, bucketRegions);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", front::handle);
            server.start();
            return front;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI endpoint() {
        return URI.create("http://" + server.getAddress().getHostString() + ":"
                + server.getAddress().getPort());
    }

    /** How many requests were redirected to their bucket's region. */
    int redirects() {
        return redirects.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String bucket = path.length() > 1 ? path.substring(1).split("/", 2)[0] : "";
            String region = bucketRegions.getOrDefault(bucket, home);
            String signed = signedRegion(exchange);
            if (!bucket.isEmpty() && signed != null && !signed.equals(region)) {
                redirect(exchange, bucket, region);
            } else {
                forward(exchange);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String signedRegion(HttpExchange exchange) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        Matcher header = SIGNED_REGION.matcher(authorization == null ? "" : authorization);
        if (header.find()) {
            return header.group(1);
        }
        String query = exchange.getRequestURI().getRawQuery();
        Matcher presigned = SIGNED_REGION_QUERY.matcher(query == null ? "" : query);
        return presigned.find() ? presigned.group(1) : null;
    }

    private void redirect(HttpExchange exchange, String bucket, String region) throws IOException {
        redirects.incrementAndGet();
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>"
                        + "The bucket you are attempting to access must be addressed using the specified endpoint. Please"
                        + " send all future requests to this endpoint.</Message><Bucket>" + bucket
                        + "</Bucket><Endpoint>s3."
                        + region + ".amazonaws.com</Endpoint></Error>")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("x-amz-bucket-region", region);
        exchange.getResponseHeaders().add("Content-Type", "application/xml");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(301, head ? -1 : body.length);
        if (!head) {
            exchange.getResponseBody().write(body);
        }
    }

    private void forward(HttpExchange exchange) throws IOException, InterruptedException {
        String query = exchange.getRequestURI().getRawQuery();
        URI target = s3.resolve(exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query));
        String method = exchange.getRequestMethod();
        boolean hasBody = exchange.getRequestHeaders().containsKey("Content-Length")
                && !"0".equals(exchange.getRequestHeaders().getFirst("Content-Length"));
        InputStream requestBody = exchange.getRequestBody();
        HttpRequest.Builder request = HttpRequest.newBuilder(target)
                .method(
                        method,
                        hasBody
                                ? HttpRequest.BodyPublishers.fromPublisher(
                                        HttpRequest.BodyPublishers.ofInputStream(() -> requestBody),
                                        Long.parseLong(
                                                exchange.getRequestHeaders().getFirst("Content-Length")))
                                : HttpRequest.BodyPublishers.noBody());
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                values.forEach(value -> request.header(name, value));
            }
        });
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        response.headers().map().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, List.copyOf(values));
            }
        });
        long length = response.headers().firstValueAsLong("content-length").orElse(0);
        boolean empty = method.equals("HEAD") || response.statusCode() == 204 || response.statusCode() == 304;
        exchange.sendResponseHeaders(response.statusCode(), empty ? -1 : length);
        try (InputStream body = response.body();
                OutputStream out = exchange.getResponseBody()) {
            if (!empty) {
                body.transferTo(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
