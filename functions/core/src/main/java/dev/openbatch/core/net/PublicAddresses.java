package dev.openbatch.core.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Whether an address belongs to the public internet, the only place a user's URL (an image, a webhook
 * receiver) may lead.
 * Everything else — loopback, private, link-local (the cloud's metadata service at 169.254.169.254
 * among them), carrier-grade NAT, multicast, documentation, reserved, and IPv6 forms that embed such
 * an IPv4 address — could reach the service's own network.
 */
final class PublicAddresses {

    /** A block of addresses: the first {@code bits} bits of {@code prefix}. */
    private record Block(byte[] prefix, int bits) {

        static Block of(String cidr) {
            int slash = cidr.indexOf('/');
            return new Block(
                    literal(cidr.substring(0, slash)).getAddress(), Integer.parseInt(cidr.substring(slash + 1)));
        }

        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            for (int bit = 0; bit < bits; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((address[bit / 8] & mask) != (prefix[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final List<Block> NOT_PUBLIC_V4 = List.of(
                    "0.0.0.0/8",
                    "10.0.0.0/8",
                    "100.64.0.0/10",
                    "127.0.0.0/8",
                    "169.254.0.0/16",
                    "172.16.0.0/12",
                    "192.0.0.0/24",
                    "192.0.2.0/24",
                    "192.88.99.0/24",
                    "192.168.0.0/16",
                    "198.18.0.0/15",
                    "198.51.100.0/24",
                    "203.0.113.0/24",
                    "224.0.0.0/4",
                    "240.0.0.0/4")
            .stream()
            .map(Block::of)
            .toList();

    /** Global unicast: every public IPv6 address lies in it. */
    private static final Block GLOBAL_V6 = Block.of("2000::/3");

    private static final List<Block> NOT_PUBLIC_V6 = List.of(
                    // Teredo and the other IETF assignments; documentation; ORCHID
                    "2001::/23", "2001:db8::/32", "2001:10::/28", "2001:20::/28")
            .stream()
            .map(Block::of)
            .toList();

    /**
     * Forms that carry an IPv4 address inside: judged by that address. (Java already turns a mapped
     * address it parses into an IPv4 one; an address built from raw bytes need not be.)
     */
    private static final Block MAPPED_V4 =
            new Block(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0}, 96);

    private static final Block COMPATIBLE_V4 = Block.of("::/96");
    private static final Block NAT64 = Block.of("64:ff9b::/96");
    private static final Block SIX_TO_FOUR = Block.of("2002::/16");

    private PublicAddresses() {}

    static boolean isPublic(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return isPublicV4(bytes);
        }
        if (address instanceof Inet6Address) {
            if (MAPPED_V4.contains(bytes) || COMPATIBLE_V4.contains(bytes) || NAT64.contains(bytes)) {
                return isPublicV4(Arrays.copyOfRange(bytes, 12, 16));
            }
            if (SIX_TO_FOUR.contains(bytes)) {
                return isPublicV4(Arrays.copyOfRange(bytes, 2, 6));
            }
            return GLOBAL_V6.contains(bytes) && NOT_PUBLIC_V6.stream().noneMatch(b -> b.contains(bytes));
        }
        return false;
    }

    private static boolean isPublicV4(byte[] bytes) {
        return NOT_PUBLIC_V4.stream().noneMatch(b -> b.contains(bytes));
    }

    /** An address literal: parsed, never looked up. */
    private static InetAddress literal(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address literal: " + text, e);
        }
    }
}
