/**
 * How the sensor's Node.js runtime is started. V8 sizes its heap from the machine's memory and,
 * with a multi-gigabyte limit, lets garbage pile up before it collects: measured on
 * bench-small through the full pipeline, peak RSS 317 MB without limits and 222 MB with old space capped at 128 MB
 * flags for the same live data (~50 MB of heap and ~80 MB of typed arrays), and faster too
 * (smaller young generation, fewer pages touched). The launchers (scripts/start.sh,
 * deploy/vigil.service) and the benchmark pass exactly these; a test keeps them in sync.
 */
export const SENSOR_NODE_FLAGS: readonly string[] = ['--max-old-space-size=128', '--max-semi-space-size=8'];

/** A heap limit above this means the sensor was started without SENSOR_NODE_FLAGS. */
export const UNLIMITED_HEAP_BYTES = 512 * 1024 * 1024;
