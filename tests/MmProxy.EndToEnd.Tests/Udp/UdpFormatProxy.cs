using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Operations;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// The proxy started with one --udp-header format and --metrics: waits until it serves metrics and
/// has logged its UDP listening line with that format, and reads the UDP counters the tests assert.
/// </summary>
internal sealed partial class UdpFormatProxy
{
    public const int MetricsPort = 9100;
    private static readonly IPEndPoint MetricsEndPoint = new(IPAddress.Loopback, MetricsPort);
    private readonly TestNetwork _net;

    private UdpFormatProxy(TestNetwork net, BackgroundProcess process)
    {
        _net = net;
        Process = process;
    }

    public BackgroundProcess Process { get; }

    /// <summary>The usual UDP proxy (listens on [::]:7000, -v 2) with <c>--udp-header <paramref name="format"/></c>.</summary>
    public static async Task<UdpFormatProxy> StartAsync(TestNetwork net, string format, params string[] extra)
    {
        string[] arguments = ["--udp-header", format, "--metrics", "127.0.0.1:" + MetricsPort, .. extra];
        BackgroundProcess p = await net.StartUdpProxyAsync(arguments);
        await net.WaitListeningAsync(net.ServerNs, MetricsPort, p);
        if (!await p.WaitForOutputAsync(output => NamesFormat(output, format), TestNetwork.DefaultTimeout))
        {
            Assert.Fail($"no 'Listening for UDP' line naming 'header {format}':\n{p.Output}");
        }
        return new UdpFormatProxy(net, p);
    }

    /// <summary>True when a UDP listening line names exactly this format ("header v2" is not "header v2-first").</summary>
    public static bool NamesFormat(string output, string format) =>
        output.Split('\n').Any(line => line.Contains("Listening for UDP", StringComparison.Ordinal)
            && Regex.IsMatch(line, "header " + Regex.Escape(format) + @"(?![-\w])"));

    public async Task<string> MetricsAsync()
    {
        (int status, string body) = await MetricsScraper.GetAsync(_net.ServerNs, MetricsEndPoint, "/metrics");
        Assert.Equal(200, status);
        return body;
    }

    /// <summary>Datagrams dropped for <paramref name="reason"/> (the sum over any further labels).</summary>
    public static double Dropped(string metrics, string reason) =>
        SumWhere(metrics, "mmproxy_udp_datagrams_dropped_total", $"reason=\"{reason}\"");

    /// <summary>Waits until the drop counter of <paramref name="reason"/> reaches <paramref name="count"/>; returns that scrape (the caller asserts on it).</summary>
    public Task<string> WaitForDropsAsync(string reason, double count) =>
        WaitForAsync(m => Dropped(m, reason) >= count, $"{count} drop(s) for reason {reason}");

    /// <summary>Waits until <paramref name="count"/> flows have expired (mmproxy_udp_flows_expired_total).</summary>
    public Task<string> WaitForExpiredAsync(double count) =>
        WaitForAsync(m => SumWhere(m, "mmproxy_udp_flows_expired_total", string.Empty) >= count, $"{count} expired flow(s)");

    private async Task<string> WaitForAsync(Func<string, bool> done, string what)
    {
        string metrics = string.Empty;
        try
        {
            await Eventually.UntilAsync(async () => done(metrics = await MetricsAsync()), () => what + " in /metrics");
        }
        finally
        {
            _net.Note("--- /metrics (last scrape)\n" + metrics);
        }
        return metrics;
    }

    /// <summary>Sum of the samples of <paramref name="name"/> whose label set contains <paramref name="label"/>.</summary>
    private static double SumWhere(string metrics, string name, string label)
    {
        double sum = 0;
        foreach (string line in metrics.Split('\n'))
        {
            Match m = Sample().Match(line);
            if (m.Success && m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(?<labels>\{[^}]*\})? (?<value>[0-9.eE+-]+)$")]
    private static partial Regex Sample();
}
