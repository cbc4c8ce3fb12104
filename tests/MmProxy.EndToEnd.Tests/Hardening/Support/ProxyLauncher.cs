using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>
/// Starts the proxy under test in the server namespace, optionally behind a wrapper that execs it
/// (prlimit, setpriv: same PID, so /proc figures are the proxy's) and with stderr written raw to a
/// file (log-injection checks need the exact bytes, not lines split by the process runner).
/// </summary>
internal static class ProxyLauncher
{
    /// <summary>Listen 0.0.0.0:7000, targets 127.0.0.1:7001 and [::1]:7001, plus <paramref name="extra"/>.</summary>
    public static List<string> Arguments(params string[] extra)
    {
        var args = new List<string>
        {
            "-l", "0.0.0.0:" + TestNetwork.ProxyPort,
            "-4", "127.0.0.1:" + TestNetwork.UpstreamPort,
            "-6", "[::1]:" + TestNetwork.UpstreamPort,
        };
        args.AddRange(extra);
        return args;
    }

    /// <summary>The relay mode's flags: "splice" (the default) or "copy" (the measurement option that copies every byte).</summary>
    public static string[] Relay(string mode) => mode == "copy" ? ["--splice-threshold", "0"] : [];

    public static async Task<BackgroundProcess> StartAsync(
        TestNetwork net,
        IEnumerable<string> arguments,
        IEnumerable<string>? wrapper = null,
        string? stderrFile = null,
        bool waitListening = true,
        int port = TestNetwork.ProxyPort)
    {
        var command = new List<string>(wrapper ?? []) { ProxyBinary.Path };
        command.AddRange(arguments);
        BackgroundProcess p;
        if (stderrFile is null)
        {
            p = net.Start("mmproxy", net.ServerNs, command[0], command.Skip(1));
        }
        else
        {
            // sh execs the command with stderr appended to the file: still the same PID.
            var args = new List<string> { "-c", "f=$1; shift; exec \"$@\" 2>>\"$f\"", "sh", stderrFile };
            args.AddRange(command);
            p = net.Start("mmproxy", net.ServerNs, "sh", args);
        }
        if (waitListening)
        {
            await net.WaitListeningAsync(net.ServerNs, port, p);
        }
        return p;
    }

    /// <summary>Sets a sysctl inside a namespace (each network namespace has its own net.* values).</summary>
    public static Task SysctlAsync(string ns, string key, string value) =>
        Command.CheckAsync("ip", "netns", "exec", ns, "sysctl", "-qw", key + "=" + value);

    /// <summary>Many short connections from one client address: wide port range, reuse of TIME_WAIT ports.</summary>
    public static async Task PrepareForChurnAsync(TestNetwork net)
    {
        foreach (string ns in new[] { net.ClientNs, net.ServerNs })
        {
            await SysctlAsync(ns, "net.ipv4.ip_local_port_range", "1024 65000");
            await SysctlAsync(ns, "net.ipv4.tcp_tw_reuse", "1");
            await SysctlAsync(ns, "net.core.somaxconn", "65535");
            await SysctlAsync(ns, "net.ipv4.tcp_max_syn_backlog", "65535");
        }
    }
}
