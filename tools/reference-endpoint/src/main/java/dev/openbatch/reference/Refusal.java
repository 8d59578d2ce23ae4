package dev.openbatch.reference;

import dev.openbatch.core.api.OpenAiError;

/** A request the reference endpoint answers with an error in OpenAI's envelope instead of an answer. */
final class Refusal extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    @SuppressWarnings("serial") // never Java-serialized: it becomes an HTTP answer in the process that threw it
    private final OpenAiError error;

    Refusal(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.error = new OpenAiError(new OpenAiError.Detail(message, type, param, code));
    }

    static Refusal invalidRequest(String message, String param) {
        return new Refusal(400, "invalid_request_error", message, param, null);
    }

    int status() {
        return status;
    }

    OpenAiError error() {
        return error;
    }
}
