using System.Globalization;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Lifecycle;

/// <summary>The proxy under test run with --config, plus SIGHUP and waits on its log lines (with deadlines).</summary>
internal static class ConfigProxy
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Writes the config into the test's directory and starts the proxy; waits for the given TCP ports to listen.</summary>
    public static async Task<BackgroundProcess> StartAsync(TestNetwork net, string configPath, IEnumerable<int> tcpPorts, IEnumerable<string>? prefix = null)
    {
        var args = new List<string>(prefix ?? []) { ProxyBinary.Path, "--config", configPath, "-v", "2", "--quiet" };
        BackgroundProcess p = net.Start("mmproxy", net.ServerNs, args[0], args.Skip(1));
        foreach (int port in tcpPorts)
        {
            await net.WaitListeningAsync(net.ServerNs, port, p);
        }

        await WaitOutputAsync(p, "Startup took", 1);
        return p;
    }

    public static Task HangUpAsync(BackgroundProcess p) =>
        Command.CheckAsync("kill", "-HUP", p.Id.ToString(CultureInfo.InvariantCulture));

    /// <summary>SIGHUP, then waits for the <paramref name="n"/>th line containing <paramref name="marker"/>.</summary>
    public static async Task ReloadAsync(BackgroundProcess p, string marker, int n)
    {
        await HangUpAsync(p);
        await WaitOutputAsync(p, marker, n);
    }

    public static int Count(string output, string marker)
    {
        int count = 0;
        for (int i = output.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = output.IndexOf(marker, i + marker.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public static async Task WaitOutputAsync(BackgroundProcess p, string marker, int n)
    {
        if (!await p.WaitForOutputAsync(output => Count(output, marker) >= n, Deadline))
        {
            Assert.Fail(p.HasExited
                ? $"mmproxy exited ({p.ExitCode}) before logging '{marker}' x{n}:\n{p.Output}"
                : $"mmproxy did not log '{marker}' x{n} within {Deadline.TotalSeconds} s:\n{p.Output}");
        }
    }
}
