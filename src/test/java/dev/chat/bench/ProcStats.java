package dev.chat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of a process, from {@code /proc} (Linux only). */
final class ProcStats {
    /** Clock ticks per second of {@code /proc/PID/stat}; 100 on every Linux the JDK runs on here. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** User plus system CPU seconds so far; {@code pid} "self" for this process. */
    static double cpuSeconds(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state(0) ppid(1) ... utime(11) stime(12)
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The servers' CPU seconds so far (summed over {@code pids}) and this process's, in that order. */
    static double[] cpuSeconds(java.util.List<String> pids) {
        double server = 0;
        for (String pid : pids) {
            server += cpuSeconds(pid);
        }
        return new double[] {server, cpuSeconds("self")};
    }

    /** VmRSS in KiB summed over {@code pids}. */
    static long rssKiB(java.util.List<String> pids) {
        long sum = 0;
        for (String pid : pids) {
            sum += rssKiB(pid);
        }
        return sum;
    }

    /** VmRSS in KiB, or -1 when the process is gone. */
    static long rssKiB(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** Asks a JVM for a full GC (jcmd), so that its RSS shows live data rather than garbage; no-op for others. */
    static void gcIfJvm(String pid) {
        try {
            String cmdline = Files.readString(Path.of("/proc", pid, "cmdline"));
            if (!cmdline.contains("java")) {
                return;
            }
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), pid, "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
            Thread.sleep(500);
        } catch (IOException e) {
            // no jcmd: measure without
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
