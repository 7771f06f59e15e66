package io.edgegw.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random ports a node can get back when it restarts: below the OS's ephemeral range. A port the OS hands out for
 * "port 0" lies inside that range, where any outgoing connection may take it as its local port while the node is
 * down, and the restart then fails with "address already in use".
 */
final class RestartablePorts {

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LOWEST = 10_000;
    private static final int DEFAULT_EPHEMERAL_START = 32_768;

    private RestartablePorts() {
    }

    /** A random port in [10000, start of the ephemeral range); whether it is free is for the bind to find out. */
    static int pick() {
        return ThreadLocalRandom.current().nextInt(LOWEST, ephemeralStart());
    }

    private static int ephemeralStart() {
        // readAllLines, not readString: /proc files report size 0, and readString then returned one byte
        try {
            int start = Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
            return start > LOWEST + 1_000 ? start : DEFAULT_EPHEMERAL_START;
        } catch (IOException | RuntimeException unknown) {
            return DEFAULT_EPHEMERAL_START; // not Linux: the IANA range starts at 49152, Linux's default at 32768
        }
    }
}
