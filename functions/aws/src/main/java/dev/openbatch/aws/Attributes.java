package dev.openbatch.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.openbatch.core.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Reads and writes DynamoDB item attributes, leaving absent values out of an item rather than
 * storing nulls, so that a later {@code attribute_not_exists} condition means what it says.
 */
final class Attributes {

    private final Map<String, AttributeValue> item;

    private Attributes(Map<String, AttributeValue> item) {
        this.item = item;
    }

    static Attributes newItem() {
        return new Attributes(new LinkedHashMap<>());
    }

    static Attributes of(Map<String, AttributeValue> item) {
        return new Attributes(item);
    }

    Attributes put(String name, String value) {
        if (value != null) {
            item.put(name, AttributeValue.fromS(value));
        }
        return this;
    }

    Attributes put(String name, Long value) {
        if (value != null) {
            item.put(name, AttributeValue.fromN(Long.toString(value)));
        }
        return this;
    }

    Attributes put(String name, Map<String, String> value) {
        if (value != null) {
            Map<String, AttributeValue> map = new LinkedHashMap<>();
            value.forEach((k, v) -> map.put(k, AttributeValue.fromS(v)));
            item.put(name, AttributeValue.fromM(map));
        }
        return this;
    }

    /** A value written once and read whole, kept as its JSON. */
    Attributes putJson(String name, Object value) {
        return put(name, value == null ? null : Json.writeString(value));
    }

    Map<String, AttributeValue> item() {
        return item;
    }

    String string(String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : value.s();
    }

    Long number(String name) {
        AttributeValue value = item.get(name);
        return value == null ? null : Long.valueOf(value.n());
    }

    long number(String name, long absent) {
        Long value = number(name);
        return value == null ? absent : value;
    }

    <T> T json(String name, Class<T> type) {
        String text = string(name);
        if (text == null) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored " + type.getSimpleName() + " is not valid JSON", e);
        }
    }

    Map<String, String> stringMap(String name) {
        AttributeValue value = item.get(name);
        if (value == null || !value.hasM()) {
            return null;
        }
        Map<String, String> map = new LinkedHashMap<>();
        value.m().forEach((k, v) -> map.put(k, v.s()));
        return map;
    }
}
