using System.Net;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Operations;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>The sender's /metrics (--metrics on loopback in the server namespace), read until a count is reached.</summary>
internal static class SendMetrics
{
    public const int Port = 9100;

    public const string Dropped = "mmproxy_udp_datagrams_dropped_total";

    /// <summary>Waits until the series (or, for a bare name, the sum of its label sets) reaches <paramref name="count"/>; returns the page.</summary>
    public static async Task<string> WaitForAsync(TestNetwork net, IPEndPoint endPoint, string series, double count)
    {
        string page = string.Empty;
        await Eventually.UntilAsync(
            async () => Value(page = (await MetricsScraper.GetAsync(net.ServerNs, endPoint, "/metrics")).Body, series) >= count,
            () => $"{series} below {count}:\n{page}");
        net.Note("--- sender /metrics\n" + page);
        return page;
    }

    public static double Value(string page, string series) =>
        series.Contains('{', StringComparison.Ordinal) ? MetricsScraper.Sample(page, series) ?? 0 : MetricsScraper.Sum(page, series);
}
