package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.function.Function;

/**
 * OpenAI's cursor page: {@code {"object":"list","data":[...],"first_id","last_id","has_more"}}.
 * The next page is asked for with {@code after=<last_id>}.
 */
public record ListPage<T>(
        @JsonProperty("object") String object,
        @JsonProperty("data") List<T> data,
        @JsonProperty("first_id") String firstId,
        @JsonProperty("last_id") String lastId,
        @JsonProperty("has_more") boolean hasMore) {

    public static <T> ListPage<T> of(List<T> data, boolean hasMore, Function<T, String> id) {
        String first = data.isEmpty() ? null : id.apply(data.getFirst());
        String last = data.isEmpty() ? null : id.apply(data.getLast());
        return new ListPage<>("list", List.copyOf(data), first, last, hasMore);
    }
}
